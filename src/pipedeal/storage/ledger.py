"""The workspace API: deals, the append-only event ledger and quotes.

A thin layer: the pure core computes from events and quotes and never sees a
database. Every function takes a database URL (see ``resolve_url``), runs in
one transaction and returns plain values (events, ``Quote``s, dataclasses).

What ``verify`` covers (the design of migration 0003): the events by their
hash chain and the deal's recorded head; the terms text by ``terms_hash``
(and a trigger refusing any UPDATE of it); the quotes by a second,
append-only log, ``quote_imports``: each import writes the quotes it gives
to the ``quotes`` table *and* appends them, hash-chained, to the log in the
same transaction, moving the deal's ``quotes_seq``/``quotes_hash`` head.
Replaying the log gives what the table must hold, so a quote edited,
inserted or deleted with SQL is named by its date. (The quotes are not
hashed into the event chain: the events are the deal's history, the quotes
market data that is re-imported and corrected.) Every append first verifies
the deal and refuses to build on a ledger that does not verify.

No hash here is keyed: someone who rewrites a whole chain *and* its head
consistently is not detectable from inside. ``anchor`` gives the head to keep
elsewhere, and ``verify(anchor=...)`` checks the ledger still contains it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Text, delete, func, insert, literal, select, type_coerce, update

from pipedeal.base.diagnostics import Diagnostic, InputError
from pipedeal.base.quotes import PRICE_COLUMNS, Quote, QuoteBook
from pipedeal.engine.events import EventBase, event_to_json
from pipedeal.storage.chain import (
    ChainRow,
    QuoteImportRow,
    as_utc,
    audit,
    audit_anchor,
    audit_head,
    audit_quotes,
    audit_terms,
    canonical_json,
    chain_hash,
    decode_payload,
    quote_import_hash,
    quote_json,
    quotes_agree,
    terms_hash,
)
from pipedeal.storage.database import deal_id, resolve_url, shown, transaction, upgrade
from pipedeal.storage.models import MAX_NAME, Deal, EventRow, FoldCheckpoint, QuoteRow
from pipedeal.storage.models import QuoteImportRow as QuoteImportTable

Located = tuple[str | None, int | None, EventBase]
"""An event with the file and line it was read from (None when typed in)."""

@dataclass
class History:
    """What an appender reads of the ledger it extends: the head, the fold checkpoint kept for
    that head (if any), and every recorded event, loaded only when asked for."""

    head_seq: int
    checkpoint: dict[str, Any] | None
    load: Callable[[], list[StoredEvent]]
    _events: list[StoredEvent] | None = None

    def events(self) -> list[StoredEvent]:
        if self._events is None:
            self._events = self.load()
        return self._events


@dataclass
class Verdict:
    """A Validator's answer: the problems with the new events (errors refuse them all), and
    the fold's state after them, kept as the next append's checkpoint."""

    problems: list[Diagnostic]
    checkpoint: dict[str, Any] | None = None


Validator = Callable[[History, list[Located]], Verdict]
"""Checks new events against the deal's ledger; error problems refuse the import."""

BATCH = 2000

__all__ = [
    "Anchor",
    "History",
    "LedgerDeal",
    "Located",
    "StoredEvent",
    "Validator",
    "Verdict",
    "anchor",
    "append_events",
    "deal_terms",
    "import_quotes",
    "init_workspace",
    "list_deals",
    "list_events",
    "load_deal",
    "load_deals",
    "load_quotes",
    "verify",
]


@dataclass(frozen=True)
class StoredEvent:
    """An event as the ledger holds it, with its place in the hash chain."""

    seq: int
    event: EventBase
    recorded_at: dt.datetime
    source_file: str | None
    source_line: int | None
    hash: str
    prev_hash: str
    recorded_by: str | None = None  # the web user who wrote it (None: the command line)

    @property
    def claimed_recorded_at(self) -> dt.datetime | None:
        """When the imported file said the event was recorded (kept, never used as the stamp).
        A row appended before the ledger kept its own clock has it equal to ``recorded_at``."""
        return None if self.event.recorded_at is None else as_utc(self.event.recorded_at)


def init_workspace(url: str | None, deal_name: str, terms_toml: str) -> bool:
    """Create or upgrade the schema and register the deal; a re-run with the same terms is a no-op.
    Returns whether this call registered the deal (two concurrent inits queue on the
    write lock, so exactly one does).

    Different terms for an existing deal are refused: the ledger was recorded
    against the terms it has, and silently swapping them would change history.
    """
    if not deal_name.strip() or len(deal_name) > MAX_NAME:
        raise InputError([Diagnostic(
            "DEAL-NAME", f"a deal needs a name of 1 to {MAX_NAME} characters", field="deal")])
    with transaction(url, write=True, create=True) as connection:
        upgrade(connection)
        known = connection.execute(
            select(Deal.terms_toml).where(Deal.name == deal_name)
        ).scalar_one_or_none()
        if known is None:
            connection.execute(insert(Deal).values(
                name=deal_name, terms_toml=terms_toml, terms_hash=terms_hash(terms_toml),
                created_at=_now()))
            return True
        if known != terms_toml:
            raise InputError([Diagnostic(
                "DEAL-EXISTS",
                f"deal {deal_name!r} is already in this workspace with different terms",
                field="deal")])
        return False


def append_events(
    url: str | None,
    deal_name: str,
    located: list[Located],
    validate: Validator,
    recorded_at: dt.datetime | None = None,
    if_empty: bool = False,
    recorded_by: str | None = None,
) -> int:
    """Append events to the deal's ledger, all or nothing; returns how many were appended.

    One write transaction (SQLite ``BEGIN IMMEDIATE``, PostgreSQL the deal row
    locked) covers reading the chain head, ``validate`` and the inserts, so no
    concurrent appender can fork the chain, and a refused or interrupted import
    leaves the ledger as it was. The chain is not re-read under the lock: the
    head row is checked against the recorded head (a cut tail is refused), the
    terms and quotes are checked, and ``validate`` gets the fold checkpoint kept
    for that head, loading the events only if it must (no checkpoint, or a
    back-dated event); every read of the ledger verifies the whole chain. ``recorded_at`` (else now)
    is the ledger's clock: it stamps every row (a naive datetime is taken as UTC). An event's own
    ``recorded_at`` (an imported file's) stays in its payload as what the file claims
    (``StoredEvent.claimed_recorded_at``): the ledger decides when it learned a fact, so
    ``--known-on`` cannot be back-dated by a file.
    Error-severity problems from ``validate`` raise ``InputError`` with all of
    its problems; warnings alone do not stop the import. ``if_empty`` appends only to an
    empty ledger, else does nothing (``init``'s bundled log, which a concurrent ``init`` may
    have recorded first). ``recorded_by`` names the web user who writes them (hashed into each row).
    """
    stamp = as_utc(recorded_at) if recorded_at else _now()
    with transaction(url, write=True) as connection:
        deal = deal_id(connection, deal_name, lock=True)
        head_seq, prev_hash = _refuse_broken_head(connection, deal, deal_name)
        if if_empty and head_seq:
            return 0
        history = History(head_seq, _checkpoint(connection, deal, head_seq, prev_hash),
                          lambda: _stored_events(connection, deal, deal_name))
        verdict = validate(history, located)
        if any(problem.severity == "error" for problem in verdict.problems):
            raise InputError(verdict.problems)
        seq = head_seq
        rows = []
        for source_file, source_line, event in located:
            seq += 1
            payload = event_to_json(event)
            when = stamp  # the ledger's clock, never the file's claim (kept in the payload)
            digest = chain_hash(prev_hash, deal_name, seq, when, payload, source_file, source_line, recorded_by)
            rows.append({
                "deal_id": deal, "seq": seq, "type": payload["type"], "date": event.date,
                "payload": canonical_json(payload), "recorded_at": when,
                "source_file": source_file, "source_line": source_line,
                "prev_hash": prev_hash, "hash": digest, "recorded_by": recorded_by,
            })
            prev_hash = digest
        _execute_batches(connection, insert(EventRow), rows)
        if rows:
            connection.execute(update(Deal).where(Deal.id == deal)
                               .values(head_seq=seq, head_hash=prev_hash))
            _keep_checkpoint(connection, deal, seq, prev_hash, verdict.checkpoint)
    return len(rows)


def _checkpoint(connection: Connection, deal: int, head_seq: int, head_hash: str) -> dict[str, Any] | None:
    """The fold checkpoint kept for the current head, or None (none kept, or kept for another head)."""
    row = connection.execute(select(FoldCheckpoint.head_seq, FoldCheckpoint.head_hash, FoldCheckpoint.state)
                             .where(FoldCheckpoint.deal_id == deal)).one_or_none()
    if row is None or (row.head_seq, row.head_hash) != (head_seq, head_hash):
        return None
    try:
        return json.loads(row.state)
    except json.JSONDecodeError:
        return None  # a cache that does not read is no cache: the events are folded instead


def _keep_checkpoint(connection: Connection, deal: int, seq: int, head_hash: str,
                     state: dict[str, Any] | None) -> None:
    connection.execute(delete(FoldCheckpoint).where(FoldCheckpoint.deal_id == deal))
    if state is not None:
        connection.execute(insert(FoldCheckpoint).values(deal_id=deal, head_seq=seq, head_hash=head_hash,
                                                         state=json.dumps(state, separators=(",", ":"))))


def duplicate_events(existing: list[EventBase], new: list[Located]) -> list[Diagnostic]:
    """Each new event that is already in the ledger, the same canonical event JSON
    (``recorded_at`` aside), is an error naming its line and the ledger seq it repeats.

    ``existing`` is the chain in seq order, so its n-th event is seq n.
    """
    def key(event: EventBase) -> str:
        data = event_to_json(event)
        data.pop("recorded_at", None)
        return canonical_json(data)

    seqs: dict[str, int] = {}
    for seq, event in enumerate(existing, start=1):
        seqs.setdefault(key(event), seq)
    problems = []
    for source_file, source_line, event in new:
        seq = seqs.get(key(event))
        if seq is not None:
            problems.append(Diagnostic(
                "EVENT-DUPLICATE", f"this {event_to_json(event)['type']} event is already in the ledger as "
                f"seq {seq}; nothing was imported (give --allow-duplicates to record it again)",
                source_file, source_line, seq=seq))
    return problems


def list_events(url: str | None, deal_name: str) -> list[StoredEvent]:
    """The deal's ledger in seq order, each event re-read through the event models."""
    with transaction(url, write=False) as connection:
        return _stored_events(connection, deal_id(connection, deal_name), deal_name)


def verify(url: str | None, deal_name: str | None = None,
           anchor: tuple[int | None, str] | None = None) -> list[Diagnostic]:
    """Check one deal (or every deal): the events' hash chain and head, the terms against
    their hash, the quotes against their import log; an empty list means intact.

    ``anchor`` (seq or None, hash), a head printed earlier by ``anchor``, must
    still be a row of the chain: a ledger rolled back behind it is reported.
    """
    with transaction(url, write=False) as connection:
        names = [deal_name] if deal_name is not None else list(
            connection.scalars(select(Deal.name).order_by(Deal.name)))
        findings: list[Diagnostic] = []
        for name in names:
            deal = deal_id(connection, name)
            findings.extend(_verify_deal(connection, deal, name, anchor))
        return findings


@dataclass(frozen=True)
class Anchor:
    """A deal's head: the newest event's seq and hash, to keep outside the database."""

    deal: str
    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.deal} seq {self.seq} sha256:{self.hash}"


def anchor(url: str | None, deal_name: str) -> Anchor:
    """The deal's recorded head, as ``verify(anchor=...)`` will check it later."""
    with transaction(url, write=False) as connection:
        deal = deal_id(connection, deal_name)
        head = connection.execute(select(Deal.head_seq, Deal.head_hash).where(Deal.id == deal)).one()
        return Anchor(deal_name, head.head_seq, head.head_hash)


@dataclass(frozen=True)
class LedgerDeal:
    """Everything a deal's ledger holds, read in one transaction, with what verify finds."""

    terms_text: str
    events: list[StoredEvent]
    quotes: QuoteBook  # named "quotes of DEAL in URL" in errors
    findings: list[Diagnostic]
    anchor: Anchor


def load_deal(url: str | None, deal_name: str) -> LedgerDeal:
    """The deal's terms, events and quotes and the verify findings, from one snapshot: ``load_deals``
    of the one deal."""
    return load_deals(url, [deal_name])[0][1]


def load_deals(url: str | None, deal_names: Sequence[str] | None = None) -> list[tuple[str, LedgerDeal]]:
    """Every deal of the ledger (or those of ``deal_names``), by name, as ``load_deal`` reads
    one: terms, events, quotes and what verify finds, from one snapshot.

    Four SELECTs whatever the number of deals (the deals, then every event, quote import and
    quote of those deals, each ordered so that one pass groups them), instead of ``load_deal``'s
    round trips per deal: a ledger of a thousand deals is read in a handful of queries. The
    checks are ``verify``'s own (``audit``, ``audit_terms``, ``audit_quotes``) on the rows read.
    A name that is not in the ledger is DEAL-MISSING.
    """
    with transaction(url, write=False) as connection:
        query = select(Deal.id, Deal.name, Deal.terms_toml, Deal.terms_hash, Deal.head_seq, Deal.head_hash,
                       Deal.quotes_seq, Deal.quotes_hash).order_by(Deal.name)
        if deal_names is not None:
            query = query.where(Deal.name.in_(list(deal_names)))
        deals = list(connection.execute(query))
        if deal_names is not None:
            missing = sorted(set(deal_names) - {row.name for row in deals})
            if missing:
                raise InputError([Diagnostic(
                    "DEAL-MISSING", f"deal {name!r} is not in this workspace: run `pipedeal init` first",
                    field="deal") for name in missing])
        ids = [row.id for row in deals]

        def of_these(table: Any) -> Any:
            # No filter when every deal is read: a thousand bound ids cost more than they save.
            return None if deal_names is None else table.deal_id.in_(ids)

        def grouped(statement: Any, table: Any) -> dict[int, list[Any]]:
            condition = of_these(table)
            groups: dict[int, list[Any]] = {}
            for row in connection.execute(statement if condition is None else statement.where(condition)):
                groups.setdefault(row[0], []).append(row[1:])
            return groups

        chains = grouped(select(EventRow.deal_id, EventRow.seq, EventRow.type, EventRow.date, EventRow.payload,
                                EventRow.recorded_at, EventRow.source_file, EventRow.source_line,
                                EventRow.prev_hash, EventRow.hash, EventRow.recorded_by)
                         .order_by(EventRow.deal_id, EventRow.seq),
                         EventRow)
        logs = grouped(select(QuoteImportTable.deal_id, QuoteImportTable.seq, QuoteImportTable.imported_at,
                              QuoteImportTable.quotes, QuoteImportTable.prev_hash, QuoteImportTable.hash)
                       .order_by(QuoteImportTable.deal_id, QuoteImportTable.seq), QuoteImportTable)
        texts = _quote_texts(connection, of_these(QuoteRow.__table__.c))
        loaded = []
        decimals: dict[str, Decimal] = {}
        where = shown(url or resolve_url(url))
        for deal in deals:
            rows = [ChainRow(*row) for row in chains.get(deal.id, ())]
            imports = [QuoteImportRow(*row) for row in logs.get(deal.id, ())]
            head = (deal.quotes_seq, deal.quotes_hash)
            decoded: dict[int, EventBase] = {}
            findings = audit(deal.name, rows, head=(deal.head_seq, deal.head_hash), decoded=decoded)
            findings.extend(audit_terms(deal.name, deal.terms_toml, deal.terms_hash))
            text, days = texts.get(deal.id, ("", ""))
            source = f"quotes of {deal.name} in {where}"
            if quotes_agree(deal.name, imports, text, head):
                # The table is what the log's imports wrote (each quote validated then): build each
                # day's Quote when the evaluation first reads it.
                book = _deferred_quotes(text, days, deal.name, decimals, source)
            else:  # the rows themselves, for audit_quotes to name what differs
                raw = _raw_quotes(connection, deal.id)
                findings.extend(audit_quotes(deal.name, imports, raw, head=head))
                book = _suspect_quotes(raw, deal.name, decimals, source)
            loaded.append((deal.name, LedgerDeal(deal.terms_toml, _decoded_events(rows, deal.name, decoded),
                                                 book, findings,
                                                 Anchor(deal.name, deal.head_seq, deal.head_hash))))
        return loaded


def _json_text(value: Any) -> Any:
    """SQL for ``json.dumps`` of a stored cell's text: quoted, ``\\`` and ``"`` escaped. Any other
    character is left as is, where ``json.dumps`` would escape it: such a cell (never written by
    pipedeal) then differs from the log's text, and the rows are compared one by one instead."""
    text = type_coerce(value, Text)
    escaped = func.replace(func.replace(text, literal("\\", Text), literal("\\\\", Text)),
                           literal('"', Text), literal('\\"', Text))
    return literal('"', Text) + escaped + literal('"', Text)


def _quote_text_column() -> Any:
    """PostgreSQL for one quotes row's ``canonical_json(quote_json(row))``: its fields in key order, a
    NULL one left out, prices as their stored text, the volume as a number."""
    table = QuoteRow.__table__
    parts = {name: literal(f',"{name}":', Text) + _json_text(table.c[name]) for name in PRICE_COLUMNS}
    parts["date"] = literal(',"date":', Text) + _json_text(func.to_char(table.c.date, "yyyy-mm-dd"))
    parts["volume"] = literal(',"volume":', Text) + func.cast(table.c.volume, Text)
    body = None
    for name in sorted(parts):
        part = parts[name] if name == "date" else func.coalesce(parts[name], literal("", Text))
        body = part if body is None else body + part
    return literal("{", Text) + func.substr(body, 2) + literal("}", Text)


def _quote_texts(connection: Connection, condition: Any) -> dict[int, tuple[str, str]]:
    """Each deal's quotes table as ``quotes_agree`` compares it with the log: the rows' canonical
    JSON in date order, joined by commas; beside it the rows' dates as text, in the same order, joined
    by commas. PostgreSQL spells and aggregates them, one row a deal, so that a ledger of a thousand
    deals sends text, not rows. SQLite runs in this process: its rows are read as ``_raw_quotes`` reads
    them (``_quote_json``) and spelled by ``canonical_json``, in half the time SQLite takes to spell them."""
    table = QuoteRow.__table__
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql  # ~20 ms to import: only for a PostgreSQL ledger

        day = func.to_char(table.c.date, "yyyy-mm-dd")
        statement = select(
            table.c.deal_id,
            func.string_agg(_quote_text_column(), postgresql.aggregate_order_by(literal(",", Text), table.c.date)),
            func.string_agg(day, postgresql.aggregate_order_by(literal(",", Text), table.c.date)),
        ).group_by(table.c.deal_id)
        if condition is not None:
            statement = statement.where(condition)
        return {deal: (text, days) for deal, text, days in connection.execute(statement)}
    statement = select(table.c.deal_id, *_quote_columns()).order_by(table.c.deal_id, table.c.date)
    if condition is not None:
        statement = statement.where(condition)
    grouped: dict[int, list[dict[str, Any]]] = {}
    for deal, *row in connection.execute(statement):
        grouped.setdefault(deal, []).append(_quote_json(row))
    return {deal: (canonical_json(rows)[1:-1], ",".join(str(row["date"]) for row in rows))
            for deal, rows in grouped.items()}


def _suspect_quotes(raw: list[dict[str, Any]], deal_name: str, decimals: dict[str, Decimal],
                    source: str) -> QuoteBook:
    """The quotes of a table that differs from its log (``audit_quotes`` named how): a cell that
    is no price, a forgery among them, is LEDGER-UNPARSEABLE only if a figure reads its day, so
    the refusal of the ledger says what verify found rather than stopping at the first bad cell
    (``--allow-broken-ledger`` then evaluates what can be read). A date that is no date cannot
    even be placed: every row is read at once, as before."""
    read = _quote_reader(deal_name, decimals)
    try:
        rows = {dt.date.fromisoformat(row["date"][:10]): row for row in raw}
    except ValueError:
        return QuoteBook([read(row) for row in raw], source)
    if len(rows) != len(raw):
        return QuoteBook([read(row) for row in raw], source)
    return QuoteBook.deferred(rows, read, source)


def _deferred_quotes(text: str, days: str, deal_name: str, decimals: dict[str, Decimal],
                     source: str) -> QuoteBook:
    """The quotes of a table proven equal to its import log (``quotes_agree``), each day's ``Quote``
    built on first use. Proven equal to the log's canonical JSON, ``text`` is objects of a date
    and decimal or integer texts: no brace inside a value, so "},{" separates the rows, one for
    each of ``days`` (the same rows' dates, in the same order). A row is decoded when its day is
    read; a row that does not read is LEDGER-UNPARSEABLE then, as it would be here."""
    read = _quote_reader(deal_name, decimals)
    rows = dict(zip(map(dt.date.fromisoformat, days.split(",")), text[1:-1].split("},{"), strict=True)) if text else {}
    return QuoteBook.deferred(rows, lambda row: read(json.loads(f"{{{row}}}")), source)


def import_quotes(url: str | None, deal_name: str, quotes: Sequence[Quote], if_empty: bool = False) -> int:
    """Upsert quotes by date in one transaction; returns the number of dates written
    (``if_empty``: only into a deal that has no quotes yet, else none).

    A re-import replaces the fields it gives for a date and keeps the others
    (as ``Quote.merged``), so a bid-only file does not erase closing prices.
    """
    merged = QuoteBook(quotes).quotes()
    with transaction(url, write=True) as connection:
        deal = deal_id(connection, deal_name, lock=True)
        _refuse_unverified(connection, deal, deal_name)
        if not merged or (if_empty and connection.execute(
                select(Deal.quotes_seq).where(Deal.id == deal)).scalar_one()):
            return 0
        statement = _upsert(connection)
        columns = (*PRICE_COLUMNS, "volume")
        statement = statement.on_conflict_do_update(
            index_elements=[QuoteRow.deal_id, QuoteRow.date],
            set_={name: func.coalesce(statement.excluded[name], QuoteRow.__table__.c[name])
                  for name in columns},
        )
        rows = [{"deal_id": deal, "date": quote.date,
                 **{name: getattr(quote, name) for name in columns}} for quote in merged]
        _execute_batches(connection, statement, rows)
        _log_quote_import(connection, deal, deal_name, rows)
    return len(merged)


def _log_quote_import(connection: Connection, deal: int, deal_name: str, rows: list[dict[str, Any]]) -> None:
    """Append the import to the deal's quote log and move the log's head (same transaction)."""
    head = connection.execute(select(Deal.quotes_seq, Deal.quotes_hash).where(Deal.id == deal)).one()
    seq, when = head.quotes_seq + 1, _now()
    written = [quote_json(row) for row in rows]
    digest = quote_import_hash(head.quotes_hash, deal_name, seq, when, written)
    connection.execute(insert(QuoteImportTable).values(
        deal_id=deal, seq=seq, imported_at=when, quotes=canonical_json(written),
        prev_hash=head.quotes_hash, hash=digest))
    connection.execute(update(Deal).where(Deal.id == deal).values(quotes_seq=seq, quotes_hash=digest))


def load_quotes(url: str | None, deal_name: str) -> list[Quote]:
    """The deal's quotes in date order, prices as the exact decimals imported."""
    with transaction(url, write=False) as connection:
        return _stored_quotes(connection, deal_id(connection, deal_name), deal_name)


def deal_terms(url: str | None, deal_name: str) -> str:
    """The terms file text the deal was initialised with."""
    with transaction(url, write=False) as connection:
        return connection.execute(
            select(Deal.terms_toml).where(Deal.id == deal_id(connection, deal_name))
        ).scalar_one()


def list_deals(url: str | None) -> list[str]:
    """The names of the workspace's deals, sorted."""
    with transaction(url, write=False) as connection:
        return list(connection.execute(select(Deal.name).order_by(Deal.name)).scalars())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _verify_deal(connection: Connection, deal: int, name: str,
                 anchor: tuple[int | None, str] | None = None) -> list[Diagnostic]:
    row = connection.execute(
        select(Deal.terms_toml, Deal.terms_hash, Deal.head_seq, Deal.head_hash, Deal.quotes_seq,
               Deal.quotes_hash).where(Deal.id == deal)).one()
    rows = list(_chain_rows(connection, deal))
    findings = audit(name, rows, head=(row.head_seq, row.head_hash))
    if anchor is not None:
        findings.extend(audit_anchor(name, rows, anchor))
    findings.extend(audit_terms(name, row.terms_toml, row.terms_hash))
    findings.extend(_quote_findings(connection, deal, name, row.quotes_seq, row.quotes_hash))
    return findings


def _quote_findings(connection: Connection, deal: int, name: str, quotes_seq: int, quotes_hash: str,
                    ) -> list[Diagnostic]:
    """``audit_quotes`` of the deal's quote log and table, the clean case proven first as ``load_deals``
    proves it (``quotes_agree`` on ``_quote_texts``: the log hashed as stored, the table spelled once)
    without decoding the log and spelling it twice: a ledger checks its quotes before every append and
    import, ~7 ms instead of ~11 for FOCUS's on SQLite."""
    imports = [QuoteImportRow(*entry) for entry in connection.execute(
        select(QuoteImportTable.seq, QuoteImportTable.imported_at, QuoteImportTable.quotes,
               QuoteImportTable.prev_hash, QuoteImportTable.hash)
        .where(QuoteImportTable.deal_id == deal).order_by(QuoteImportTable.seq))]
    head = (quotes_seq, quotes_hash)
    text, _ = _quote_texts(connection, QuoteRow.__table__.c.deal_id == deal).get(deal, ("", ""))
    if quotes_agree(name, imports, text, head):
        return []
    return audit_quotes(name, imports, _raw_quotes(connection, deal), head=head)


def _refuse_unverified(connection: Connection, deal: int, deal_name: str) -> None:
    """Importing quotes extends their log: never on a ledger that does not verify."""
    _refuse(_verify_deal(connection, deal, deal_name))


def _refuse_broken_head(connection: Connection, deal: int, deal_name: str) -> tuple[int, str]:
    """Appending extends the chain from its head: the newest row must be the recorded head and
    still fit its hash (a cut tail, an edited head row), and the terms and quotes must verify.
    Returns the head (seq, hash). Rows further back are verified by every read."""
    row = connection.execute(
        select(Deal.terms_toml, Deal.terms_hash, Deal.head_seq, Deal.head_hash, Deal.quotes_seq,
               Deal.quotes_hash).where(Deal.id == deal)).one()
    last = connection.execute(
        select(EventRow.seq, EventRow.type, EventRow.date, EventRow.payload, EventRow.recorded_at,
               EventRow.source_file, EventRow.source_line, EventRow.prev_hash, EventRow.hash, EventRow.recorded_by)
        .where(EventRow.deal_id == deal).order_by(EventRow.seq.desc()).limit(1)).one_or_none()
    findings = audit_head(deal_name, ChainRow(*last) if last else None, (row.head_seq, row.head_hash))
    findings.extend(audit_terms(deal_name, row.terms_toml, row.terms_hash))
    findings.extend(_quote_findings(connection, deal, deal_name, row.quotes_seq, row.quotes_hash))
    _refuse(findings)
    return row.head_seq, row.head_hash


def _refuse(findings: list[Diagnostic]) -> None:
    if findings:
        raise InputError([Diagnostic(
            finding.code, f"refusing to append to a ledger that does not verify: {finding.message}",
            finding.file, finding.line, finding.field, seq=finding.seq) for finding in findings])


def _quote_columns() -> list[Any]:
    """The quotes table's columns as stored text (not parsed: an edited cell may not be a number),
    the volume as stored, in ``_QUOTE_NAMES`` order."""
    table = QuoteRow.__table__
    return [*(type_coerce(table.c[name], Text).label(name) for name in ("date", *PRICE_COLUMNS)), table.c.volume]


_QUOTE_NAMES = ("date", *PRICE_COLUMNS, "volume")


def _quote_json(row: Sequence[Any]) -> dict[str, Any]:
    """``quote_json`` of a row of ``_quote_columns()``, read from the tuple: a ledger of many
    deals reads hundreds of thousands. The usual row (prices as text, the volume an int, the
    date a date or its text) is built here; anything else goes through ``quote_json`` itself."""
    day, *prices, volume = row
    if type(day) is dt.date:
        day = day.isoformat()
    if (type(day) is str and (volume is None or type(volume) is int)
            and all(price is None or type(price) is str for price in prices)):
        data = {"date": day}
        for name, price in zip(PRICE_COLUMNS, prices, strict=True):
            if price is not None:
                data[name] = price
        if volume is not None:
            data["volume"] = volume
        return data
    return quote_json(dict(zip(_QUOTE_NAMES, row, strict=True)))


def _raw_quotes(connection: Connection, deal: int) -> list[dict[str, Any]]:
    """The quotes table as stored text (not parsed: an edited cell may not be a number)."""
    table = QuoteRow.__table__
    rows = connection.execute(select(*_quote_columns()).where(table.c.deal_id == deal).order_by(table.c.date))
    return [_quote_json(row) for row in rows]


def _stored_quotes(connection: Connection, deal: int, deal_name: str) -> list[Quote]:
    return _parsed_quotes(_raw_quotes(connection, deal), deal_name)


def _parsed_quotes(raw: list[dict[str, Any]], deal_name: str,
                   decimals: dict[str, Decimal] | None = None) -> list[Quote]:
    """The ``quote_json`` rows of a deal's quotes table as ``Quote``s (an unreadable cell is an error)."""
    read = _quote_reader(deal_name, decimals)
    return [read(row) for row in raw]


def _quote_reader(deal_name: str, decimals: dict[str, Decimal] | None = None) -> Callable[[Any], Quote]:
    """A ``quote_json`` row of the deal's quotes table as a ``Quote`` (an unreadable cell is
    LEDGER-UNPARSEABLE). ``decimals`` shares each distinct price text's ``Decimal`` (immutable)
    between rows and deals."""
    known: dict[str, Decimal] = {} if decimals is None else decimals

    def number(text: str) -> Decimal:
        value = known.get(text)
        if value is None:
            value = known[text] = Decimal(text)
        return value

    def read(row: dict[str, Any]) -> Quote:
        try:
            return Quote(date=dt.date.fromisoformat(row["date"][:10]),
                         volume=None if row.get("volume") is None else int(row["volume"]),
                         **{name: number(row[name]) if name in row else None for name in PRICE_COLUMNS})
        except (ValueError, ArithmeticError, TypeError) as exc:
            raise InputError([Diagnostic(
                "LEDGER-UNPARSEABLE", f"the ledger's quote of {row['date']} is not a valid quote: {exc}",
                f"ledger of {deal_name}", field="quotes")]) from None

    return read


def _chain_rows(connection: Connection, deal: int) -> Iterator[ChainRow]:
    rows = connection.execute(
        select(EventRow.seq, EventRow.type, EventRow.date, EventRow.payload,
               EventRow.recorded_at, EventRow.source_file, EventRow.source_line,
               EventRow.prev_hash, EventRow.hash, EventRow.recorded_by)
        .where(EventRow.deal_id == deal).order_by(EventRow.seq)
    )
    for row in rows:
        yield ChainRow(*row)


def _stored_events(connection: Connection, deal: int, deal_name: str) -> list[StoredEvent]:
    return _decoded_events(_chain_rows(connection, deal), deal_name)


def _decoded_events(rows: Iterable[ChainRow], deal_name: str,
                    decoded: dict[int, EventBase] | None = None) -> list[StoredEvent]:
    """Each chain row's event, read through the event models (an unreadable row is an error);
    ``decoded``: the events ``audit`` already read from these rows' payloads, by seq."""
    stored = []
    for row in rows:
        try:
            event = decoded[row.seq] if decoded and row.seq in decoded else decode_payload(row.payload)
        except ValueError as exc:
            raise InputError([Diagnostic(
                "LEDGER-UNPARSEABLE",
                f"deal {deal_name!r} ledger row seq {row.seq} is not a valid event: {exc}",
                field="payload")]) from None
        stored.append(StoredEvent(row.seq, event, row.recorded_at, row.source_file,
                                  row.source_line, row.hash, row.prev_hash, row.recorded_by))
    return stored


def _upsert(connection: Connection) -> Any:
    """INSERT ... ON CONFLICT for the connection's backend (both spell it the same); each dialect imported
    only for a ledger of its own (PostgreSQL's costs ~20 ms)."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(QuoteRow)


def _execute_batches(connection: Connection, statement: Any, rows: list[dict[str, Any]]) -> None:
    """executemany in slices, so a 100,000-row import does not build one huge parameter list."""
    for start in range(0, len(rows), BATCH):
        connection.execute(statement, rows[start:start + BATCH])
