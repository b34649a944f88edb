"""Who is asking, and the habits every response keeps (OWASP ASVS level 2).

A request is signed in by a session cookie (a browser: HttpOnly, SameSite=Lax, Secure over TLS)
or by ``Authorization: Bearer TOKEN`` (a script). A cookie is sent by the browser on its own, so
every state-changing request signed in by one must also carry the session's CSRF token (the
``X-CSRF-Token`` header or the form's ``csrf_token`` field); a bearer token is never sent on its
own, so it needs none. Every response carries the same security headers, bodies over 1 MB are
refused before they are read, and no stack trace ever reaches a response.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipedeal.storage import accounts
from pipedeal.storage.accounts import Viewer

SESSION_COOKIE = "pipedeal_session"
LOGIN_COOKIE = "pipedeal_login"  # the sign-in form's CSRF token, before any session exists
MAX_BODY = 1024 * 1024
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

SECURITY_HEADERS = {
    "content-security-policy": ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
                                "frame-ancestors 'none'"),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}

_SECURITY_ENCODED = [(name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]  # once
_SECURITY_NAMES = frozenset(name for name, _ in _SECURITY_ENCODED)

log = logging.getLogger("pipedeal.web")
INTERNAL_ERROR = ("internal error: the server could not answer this request; please report it with the time "
                  "it happened")
TOO_LARGE = "the request body is over 1 MB"


@dataclass(frozen=True)
class Caller:
    """The signed-in user of a request and how it signed in."""

    viewer: Viewer
    session: str | None  # the session cookie's value (None: a bearer token)
    csrf_token: str | None

    def csrf_ok(self, presented: str | None) -> bool:
        if self.session is None:
            return True
        return presented is not None and self.csrf_token is not None and hmac.compare_digest(
            presented.encode(), self.csrf_token.encode())


def caller_of(url: str, headers, cookies) -> Caller | None:
    authorization = headers.get("authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        viewer = accounts.token_viewer(url, token.strip())
        return None if viewer is None else Caller(viewer, None, None)
    session = cookies.get(SESSION_COOKIE)
    if not session or len(session) > 200:
        return None
    found = accounts.session_viewer(url, session)
    return None if found is None else Caller(found[0], session, found[1])


class Guard:
    """Pure ASGI middleware: security headers on every response, a body limit, no stack trace."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
            await _plain(send, 413, TOO_LARGE)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY:
                    # An HTTPException, so that FastAPI, reading a body (chunked: no Content-Length
                    # told its size before), passes it on as a 413 instead of "error parsing the body".
                    raise _TooLarge(413, TOO_LARGE)
            return message

        started = False

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _SECURITY_NAMES]
                headers += _SECURITY_ENCODED
                if not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, limited_receive, with_headers)
        except _TooLarge:
            if not started:
                await _plain(send, 413, TOO_LARGE)
        except Exception:  # a bug of ours: logged, never shown
            if not started:  # once started, the app's own handler logged it and answered
                log.exception("internal error on %s %s", scope.get("method"), scope.get("path"))
                await _plain(send, 500, INTERNAL_ERROR)


class _TooLarge(HTTPException):
    pass


async def _plain(send: Send, status: int, text: str) -> None:
    import json

    body = json.dumps({"detail": text}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-store")]
    headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
