"""Who may use the web workspace, and what each may see: users, grants, sessions, tokens.

A user has one role. ``admin`` sees every deal; ``company`` and ``counsel`` see everything of
the deals granted to them; ``investor`` sees, of each deal granted, only what concerns the one
investor it is granted as. Passwords are argon2id hashes (argon2-cffi's defaults, RFC 9106);
session ids and API tokens are long random values, stored only as their sha256, so a copy of the
database lets nobody sign in. Sessions live in the database, not in a process: any number of app
processes behind any load balancer serve the same users.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, func, insert, select

from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.storage.database import transaction
from pipedeal.storage.models import (
    MAX_EMAIL,
    ApiToken,
    Deal,
    LoginFailure,
    User,
    UserGrant,
    WebSession,
    WorkspaceSecret,
)

ROLES = ("admin", "company", "counsel", "investor")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 hashes any length; a megabyte "password" is only a way to burn CPU
SESSION_HOURS = 12
FAILURE_WINDOW = dt.timedelta(minutes=15)
FAILURES_PER_ACCOUNT = 5
# Per address only against spraying many accounts: a team behind one NAT signs in far less wrongly.
FAILURES_PER_ADDRESS = 100
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Viewer:
    """A signed-in user and what it may see: ``grants`` maps each visible deal to the investor it
    sees as (None: the whole deal). An admin sees every deal whole."""

    user_id: int
    email: str
    role: str
    grants: dict[str, str | None] = field(default_factory=dict)

    def sees_deal(self, deal: str) -> bool:
        return self.role == "admin" or deal in self.grants

    def investor_in(self, deal: str) -> str | None:
        """The one investor this user sees ``deal`` as; None when it sees the whole deal."""
        return None if self.role == "admin" else self.grants.get(deal)

    def may_record(self, deal: str) -> bool:
        return self.sees_deal(deal)


class LoginRefused(Exception):
    """Wrong email or password (one message for both: the reply must not tell which)."""


class LoginThrottled(Exception):
    """Too many wrong passwords for the account (or from the address) in the window."""


_hasher = None


def _password_hasher():
    global _hasher
    if _hasher is None:
        from argon2 import PasswordHasher

        _hasher = PasswordHasher()  # argon2id
    return _hasher


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normal_email(email: str) -> str:
    return email.strip().lower()


def storable(text: str) -> str:
    """``text`` as a database can hold it: no NUL (PostgreSQL refuses it in text) and no lone surrogate
    (UTF-8 cannot encode it), each replaced by U+FFFD. For what a request names that only has to be
    looked up, never matched: no stored email or name holds either."""
    if "\x00" not in text and (text.isascii() or not any("\ud800" <= c <= "\udfff" for c in text)):
        return text
    return "".join("\ufffd" if c == "\x00" or "\ud800" <= c <= "\udfff" else c for c in text)


def _refuse(code: str, message: str, field_name: str) -> InputError:
    return InputError([Diagnostic(code, message, "command line", field=field_name)])


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise _refuse("USER-PASSWORD", f"a password needs at least {MIN_PASSWORD} characters", "--password-stdin")
    if len(password) > MAX_PASSWORD:
        raise _refuse("USER-PASSWORD", f"a password has at most {MAX_PASSWORD} characters", "--password-stdin")


def _checked_grant(connection, role: str, deal: str | None, investor: str | None) -> tuple[str | None, str | None]:
    """The grant a role needs: none for an admin, a deal for company and counsel, a deal and one of
    its investors for an investor; the deal must be in the ledger and the investor in its terms."""
    if role == "admin":
        if deal is not None or investor is not None:
            raise _refuse("USER-GRANT", "an admin sees every deal: give no --deal or --investor", "--deal")
        return None, None
    if deal is None:
        raise _refuse("USER-GRANT", f"a {role} user needs --deal", "--deal")
    terms_text = connection.execute(select(Deal.terms_toml).where(Deal.name == deal)).scalar_one_or_none()
    if terms_text is None:
        raise _refuse("DEAL-MISSING", f"deal {deal!r} is not in this workspace", "--deal")
    if role != "investor":
        if investor is not None:
            raise _refuse("USER-GRANT", f"a {role} user sees the whole deal: give no --investor", "--investor")
        return deal, None
    if investor is None:
        raise _refuse("USER-GRANT", "an investor user needs --investor (the investor's id in the deal)", "--investor")
    from pipedeal.storage.workspace import cached_terms

    ids = [entry.id for entry in cached_terms(terms_text, f"terms of {deal}").investors]
    if investor not in ids:
        raise _refuse("CLI-UNKNOWN-INVESTOR", f"no investor {investor!r} in {deal} (investors: {', '.join(ids)})",
                      "--investor")
    return deal, investor


def add_user(url: str, email: str, role: str, password: str, deal: str | None = None,
             investor: str | None = None) -> None:
    """``pipedeal users add``: a new user with its first grant."""
    email = normal_email(email)
    if not _EMAIL.match(email) or len(email) > MAX_EMAIL:
        raise _refuse("USER-EMAIL", f"{email!r} is not an email address", "EMAIL")
    if role not in ROLES:
        raise _refuse("USER-ROLE", f"--role {role!r}: use one of {', '.join(ROLES)}", "--role")
    check_password(password)
    hashed = _password_hasher().hash(password)
    with transaction(url, write=True) as connection:
        if connection.execute(select(User.id).where(User.email == email)).scalar_one_or_none() is not None:
            raise _refuse("USER-EXISTS", f"{email} is already a user; `pipedeal users grant` gives it another deal",
                          "EMAIL")
        deal, investor = _checked_grant(connection, role, deal, investor)
        user_id = connection.execute(insert(User).values(
            email=email, role=role, password_hash=hashed, created_at=_now()).returning(User.id)).scalar_one()
        if deal is not None:
            connection.execute(insert(UserGrant).values(user_id=user_id, deal_name=deal, investor=investor))


def grant(url: str, email: str, deal: str, investor: str | None = None) -> None:
    """``pipedeal users grant``: one more deal for a user (as an investor: as which investor)."""
    with transaction(url, write=True) as connection:
        user = connection.execute(select(User.id, User.role).where(User.email == normal_email(email))).one_or_none()
        if user is None:
            raise _refuse("USER-MISSING", f"no user {normal_email(email)!r}", "EMAIL")
        deal_name, investor = _checked_grant(connection, user.role, deal, investor)
        if connection.execute(select(UserGrant.id).where(UserGrant.user_id == user.id,
                                                         UserGrant.deal_name == deal_name)).first():
            raise _refuse("USER-GRANT", f"{normal_email(email)} already sees {deal_name}", "--deal")
        connection.execute(insert(UserGrant).values(user_id=user.id, deal_name=deal_name, investor=investor))


@dataclass(frozen=True)
class UserListing:
    email: str
    role: str
    grants: dict[str, str | None]
    created_at: dt.datetime


def list_users(url: str) -> list[UserListing]:
    with transaction(url, write=False) as connection:
        users = connection.execute(select(User.id, User.email, User.role, User.created_at).order_by(User.email)).all()
        grants: dict[int, dict[str, str | None]] = {}
        for row in connection.execute(select(UserGrant.user_id, UserGrant.deal_name, UserGrant.investor)
                                      .order_by(UserGrant.deal_name)):
            grants.setdefault(row.user_id, {})[row.deal_name] = row.investor
    return [UserListing(user.email, user.role, grants.get(user.id, {}), user.created_at) for user in users]


def issue_token(url: str, email: str) -> str:
    """``pipedeal users token``: a new API token, returned once; the database keeps its sha256."""
    token = "pd_" + secrets.token_urlsafe(32)
    with transaction(url, write=True) as connection:
        user_id = connection.execute(select(User.id).where(User.email == normal_email(email))).scalar_one_or_none()
        if user_id is None:
            raise _refuse("USER-MISSING", f"no user {normal_email(email)!r}", "EMAIL")
        connection.execute(insert(ApiToken).values(token_hash=_digest(token), user_id=user_id, created_at=_now()))
    return token


def _viewer(connection, user_id: int) -> Viewer | None:
    user = connection.execute(select(User.id, User.email, User.role).where(User.id == user_id)).one_or_none()
    if user is None:
        return None
    grants = {row.deal_name: row.investor for row in connection.execute(
        select(UserGrant.deal_name, UserGrant.investor).where(UserGrant.user_id == user_id))}
    return Viewer(user.id, user.email, user.role, grants)


def sign_in(url: str, email: str, password: str, address: str | None, replaces: str | None = None,
            now: dt.datetime | None = None) -> tuple[Viewer, str, str]:
    """Check a password and open a session: (viewer, session token, CSRF token).

    After ``FAILURES_PER_ACCOUNT`` wrong passwords for one account within ``FAILURE_WINDOW`` the
    account is throttled (even the right password waits for the window), so guessing is slow
    whatever the address. A new session id every time (the one ``replaces`` names is dropped):
    a session id planted before sign-in is worth nothing after it."""
    now = now or _now()
    email = storable(normal_email(email))
    since = now - FAILURE_WINDOW
    with transaction(url, write=True) as connection:
        failures = connection.execute(select(func.count()).select_from(LoginFailure).where(
            LoginFailure.email == email, LoginFailure.at > since)).scalar_one()
        from_address = connection.execute(select(func.count()).select_from(LoginFailure).where(
            LoginFailure.address == address, LoginFailure.at > since)).scalar_one() if address else 0
        if failures >= FAILURES_PER_ACCOUNT or from_address >= FAILURES_PER_ADDRESS:
            raise LoginThrottled()
        user = connection.execute(select(User.id, User.password_hash).where(User.email == email)).one_or_none()
        # An unknown email costs the same argon2 work as a known one: the time must not tell which.
        stored = _dummy_hash() if user is None else user.password_hash
        if not _verified(stored, password[:MAX_PASSWORD]) or user is None or len(password) > MAX_PASSWORD:
            connection.execute(insert(LoginFailure).values(email=email[:MAX_EMAIL], address=address, at=now))
            failed = True
        else:
            failed = False
            connection.execute(delete(LoginFailure).where(LoginFailure.email == email))
            token, csrf = open_session(connection, user.id, now, replaces)
            viewer = _viewer(connection, user.id)
    # The failure is committed before refusing: a refused sign-in must still count.
    if failed:
        raise LoginRefused()
    assert viewer is not None
    return viewer, token, csrf


def open_session(connection, user_id: int, now: dt.datetime, replaces: str | None = None) -> tuple[str, str]:
    """A new session of user ``user_id`` in the caller's transaction, once its password was checked: (session
    token, CSRF token). Only the tokens' holder has them: the table keeps the session's sha256. The session
    ``replaces`` names and every expired one are dropped."""
    if replaces:
        connection.execute(delete(WebSession).where(WebSession.id_hash == _digest(replaces)))
    connection.execute(delete(WebSession).where(WebSession.expires_at < now))
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    connection.execute(insert(WebSession).values(
        id_hash=_digest(token), user_id=user_id, csrf_token=csrf, created_at=now,
        expires_at=now + dt.timedelta(hours=SESSION_HOURS)))
    return token, csrf


_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _password_hasher().hash(secrets.token_urlsafe(16))
    return _DUMMY_HASH


def _verified(stored: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        # surrogatepass: a JSON "\\udc80" decodes to a lone surrogate, which UTF-8 cannot encode; such a
        # password matches no stored one, but costs the same hashing to say so.
        return _password_hasher().verify(stored, password.encode("utf-8", "surrogatepass"))
    except (VerificationError, InvalidHashError):
        return False


# Built once: every signed-in request runs it, and SQLAlchemy builds and keys a statement anew each time.
_SESSION_QUERY = (select(WebSession.csrf_token, WebSession.expires_at, User.id, User.email, User.role,
                         UserGrant.deal_name, UserGrant.investor)
                  .join(User, User.id == WebSession.user_id)
                  .outerjoin(UserGrant, UserGrant.user_id == User.id)
                  .where(WebSession.id_hash == bindparam("id_hash")))


def session_viewer(url: str, token: str, now: dt.datetime | None = None) -> tuple[Viewer, str] | None:
    """The viewer and CSRF token of a live session, or None. One SELECT (the session, its user and the
    user's grants joined): every signed-in request pays for it, so one round trip, not three."""
    now = now or _now()
    with transaction(url, write=False, one_statement=True) as connection:
        rows = connection.execute(_SESSION_QUERY, {"id_hash": _digest(token)}).all()
    if not rows or rows[0].expires_at <= now:
        return None
    return _joined_viewer(rows), rows[0].csrf_token


def _joined_viewer(rows) -> Viewer:
    """A viewer from rows of its user left-joined with its grants (a user with no grant: one row of None)."""
    first = rows[0]
    grants = {row.deal_name: row.investor for row in rows if row.deal_name is not None}
    return Viewer(first.id, first.email, first.role, grants)


def sign_out(url: str, token: str) -> None:
    with transaction(url, write=True) as connection:
        connection.execute(delete(WebSession).where(WebSession.id_hash == _digest(token)))


def token_viewer(url: str, token: str) -> Viewer | None:
    """The user an API token belongs to, or None (one SELECT, as ``session_viewer``)."""
    with transaction(url, write=False, one_statement=True) as connection:
        rows = connection.execute(
            select(User.id, User.email, User.role, UserGrant.deal_name, UserGrant.investor)
            .select_from(ApiToken).join(User, User.id == ApiToken.user_id)
            .outerjoin(UserGrant, UserGrant.user_id == User.id)
            .where(ApiToken.token_hash == _digest(token))).all()
    return _joined_viewer(rows) if rows else None


def _feed_key(connection) -> bytes:
    value = connection.execute(select(WorkspaceSecret.value).where(WorkspaceSecret.name == "feed")).scalar_one()
    return bytes.fromhex(value)


_FEED_KEYS: dict[str, bytes] = {}


def feed_token(url: str, viewer: Viewer) -> str:
    """The secret of the user's calendar feed URL: derived from the workspace key, so it can be shown
    again on every visit without being stored (the key, written once by the migration, is read once)."""
    key = _FEED_KEYS.get(url)
    if key is None:
        with transaction(url, write=False) as connection:
            key = _FEED_KEYS[url] = _feed_key(connection)
    return f"{viewer.user_id}-" + hmac.new(key, f"feed:{viewer.user_id}".encode(), hashlib.sha256).hexdigest()


def feed_viewer(url: str, token: str) -> Viewer | None:
    user_part, _, mac = token.partition("-")
    if not user_part.isdigit() or len(mac) != 64:
        return None
    with transaction(url, write=False) as connection:
        expected = hmac.new(_feed_key(connection), f"feed:{int(user_part)}".encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, mac):
            return None
        return _viewer(connection, int(user_part))
