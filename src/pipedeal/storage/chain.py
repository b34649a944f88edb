"""The ledger's hash chain and its audit, as pure functions over rows.

Each entry's hash covers the previous entry's hash and everything the entry
says (deal, seq, when recorded, the event, where it came from), so editing,
deleting or reordering stored rows is visible to ``audit``. The chain is not
keyed: it finds tampering by someone who does not also rewrite every later
hash, and it cannot see the newest rows being cut off the end.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from typing import Any

from pydantic import ValidationError

from pipedeal.base.diagnostics import Diagnostic, pydantic_field
from pipedeal.engine.events import EventBase, parse_event, shape_problem

GENESIS_HASH = "0" * 64


def as_utc(value: dt.datetime) -> dt.datetime:
    """The instant in UTC; a naive datetime is read as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def canonical_json(value: Any) -> str:
    """The one spelling of a JSON value that is stored and hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def chain_hash(
    prev_hash: str,
    deal: str,
    seq: int,
    recorded_at: dt.datetime,
    event: dict[str, Any],
    source_file: str | None,
    source_line: int | None,
    recorded_by: str | None = None,
) -> str:
    """sha256 of the previous hash and the entry's canonical JSON: ``deal``, ``seq``, ``recorded_at``
    (UTC, ISO), the ``event``, ``source_file``, ``source_line``. ``recorded_by`` (the web user who
    wrote the row, migration 0006) is hashed only when there is one, so every row written before it
    keeps its hash."""
    return stored_chain_hash(prev_hash, deal, seq, recorded_at, canonical_json(event), source_file, source_line,
                             recorded_by)


def _scalar_json(value: str | int | None) -> str:
    """``canonical_json`` of a text, an integer or None, without building an encoder per value (a reader
    spells five per ledger row)."""
    if value is None:
        return "null"
    return encode_basestring_ascii(value) if isinstance(value, str) else int.__repr__(value)


def stored_chain_hash(prev_hash: str, deal: str, seq: int, recorded_at: dt.datetime, payload: str,
                      source_file: str | None, source_line: int | None, recorded_by: str | None = None) -> str:
    """``chain_hash`` of an event given as its stored text, ``payload``: the entry's canonical JSON is
    spelled around the text as ``canonical_json`` spells the entry (keys in order, no spaces). A
    row whose own text hashes to its recorded hash is the text that was appended, so a reader of
    the ledger checks each row without decoding and re-encoding its event."""
    spell = _scalar_json
    fields = [f'"deal":{spell(deal)}', f'"event":{payload}', f'"recorded_at":{spell(as_utc(recorded_at).isoformat())}']
    if recorded_by is not None:
        fields.append(f'"recorded_by":{spell(recorded_by)}')
    fields += [f'"seq":{spell(seq)}', f'"source_file":{spell(source_file)}', f'"source_line":{spell(source_line)}']
    return hashlib.sha256((prev_hash + "{" + ",".join(fields) + "}").encode()).hexdigest()


@dataclass(frozen=True)
class ChainRow:
    """A stored ledger row as read back, before anything is trusted."""

    seq: int
    type: str
    date: dt.date
    payload: str
    recorded_at: dt.datetime  # UTC
    source_file: str | None
    source_line: int | None
    prev_hash: str
    hash: str
    recorded_by: str | None = None


def finding(code: str, deal: str, seq: int | None, message: str) -> Diagnostic:
    """What ``verify`` found wrong with a deal's ledger, located at the row's sequence number."""
    return Diagnostic(code, message, file=f"ledger of {deal}", seq=seq)


def decode_payload(payload: str) -> EventBase:
    """The stored event; raises ``ValueError`` when it is not JSON or not a valid event."""
    try:
        data = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg}") from exc
    except RecursionError:
        raise ValueError("not JSON pipedeal reads: nested too deeply") from None
    shape = shape_problem(data)
    if shape is not None:
        raise ValueError(shape[0] + (f" (field {shape[1]})" if shape[1] else ""))
    try:
        return parse_event(data)
    except ValidationError as exc:
        raise ValueError("; ".join(
            f"{pydantic_field(tuple(error['loc'])) or 'event'}: {error['msg']}"
            for error in exc.errors())) from exc


def audit(deal: str, rows: Sequence[ChainRow], head: tuple[int, str] | None = None,
          decoded: dict[int, EventBase] | None = None) -> list[Diagnostic]:
    """Recompute the chain of one deal's rows (in seq order) and say what does not fit.

    First each row's own hash is checked at its seq; a row whose hash fits only
    at the seq the chain links give it was moved (reordered), otherwise it was
    edited. Then each row must link to the hash of the row that belongs just
    before it; a missing predecessor is a deleted row. Last, the newest row
    must be the deal's recorded head (``head``): rows cut from the end leave
    an intact chain that stops short of it. ``decoded`` (when given) receives each fitting row's
    event by seq, so a reader does not decode the payloads a second time.
    """
    findings: list[Diagnostic] = []
    position = _chain_positions(rows)
    belongs_at: dict[int, str] = {}  # seq -> hash of the row whose content belongs there
    moved: set[int] = set()
    for row in rows:
        if _fits(deal, row, row.seq):
            belongs_at[row.seq] = row.hash
            findings.extend(_content_findings(deal, row, decoded))
            continue
        unreadable = _not_json(row.payload)
        if unreadable is not None:
            findings.append(finding("LEDGER-UNPARSEABLE", deal, row.seq,
                                    f"row seq {row.seq} payload is not JSON: {unreadable}"))
            belongs_at[row.seq] = row.hash
            continue
        at = position.get(row.seq)
        if at is not None and at != row.seq and _fits(deal, row, at):
            findings.append(finding("LEDGER-REORDERED", deal, row.seq,
                                    f"row seq {row.seq} was moved: its chain puts it at seq {at}"))
            belongs_at.setdefault(at, row.hash)
            moved.add(row.seq)
            continue
        findings.append(finding("LEDGER-EDITED", deal, row.seq, f"row seq {row.seq} was edited"))
        belongs_at[row.seq] = row.hash

    hashes = {row.hash for row in rows}
    last_seq = 0
    for row in rows:
        if row.seq not in moved:
            link = _link_finding(deal, row, last_seq, belongs_at, hashes)
            if link:
                findings.append(link)
        last_seq = row.seq
    if head is not None:
        findings.extend(_head_findings(deal, rows, head))
    return findings


def audit_head(deal: str, last: ChainRow | None, head: tuple[int, str]) -> list[Diagnostic]:
    """The newest row alone, for an append: it must still fit its hash and be the recorded head."""
    if last is not None and not _fits(deal, last, last.seq):
        if _not_json(last.payload) is not None:
            return [finding("LEDGER-UNPARSEABLE", deal, last.seq, f"row seq {last.seq} payload is not JSON")]
        return [finding("LEDGER-EDITED", deal, last.seq, f"row seq {last.seq} was edited")]
    return _head_findings(deal, [last] if last else [], head)


def _head_findings(deal: str, rows: Sequence[ChainRow], head: tuple[int, str]) -> list[Diagnostic]:
    head_seq, head_hash = head
    last_seq = rows[-1].seq if rows else 0
    if last_seq < head_seq:
        missing = f"seq {head_seq}" if last_seq + 1 == head_seq else f"seqs {last_seq + 1}..{head_seq}"
        return [finding("LEDGER-DELETED", deal, head_seq,
                        f"{missing} missing at the end of the ledger (deleted)")]
    if last_seq == head_seq and rows and rows[-1].hash != head_hash:
        return [finding("LEDGER-EDITED", deal, last_seq,
                        f"row seq {last_seq} is not the row recorded as the ledger's head")]
    return []


def _fits(deal: str, row: ChainRow, seq: int) -> bool:
    """Whether the row, as stored, hashes to its recorded hash at ``seq``."""
    return stored_chain_hash(row.prev_hash, deal, seq, row.recorded_at, row.payload, row.source_file,
                             row.source_line, row.recorded_by) == row.hash


def _not_json(payload: str) -> str | None:
    """Why a stored payload is not JSON (None: it is)."""
    try:
        json.loads(payload)
    except json.JSONDecodeError as exc:
        return exc.msg
    except RecursionError:
        return "nested too deeply"
    return None


def _content_findings(deal: str, row: ChainRow, decoded: dict[int, EventBase] | None = None) -> list[Diagnostic]:
    """The hash fits; the payload must still be an event and agree with its columns."""
    try:
        event = decode_payload(row.payload)
    except ValueError as exc:
        return [finding("LEDGER-UNPARSEABLE", deal, row.seq,
                        f"row seq {row.seq} is not a valid event: {exc}")]
    if decoded is not None:
        decoded[row.seq] = event
    if event.type != row.type or event.date != row.date:
        return [finding("LEDGER-EDITED", deal, row.seq,
                        f"row seq {row.seq} was edited: its type/date columns disagree "
                        "with its payload")]
    return []


def _chain_positions(rows: Sequence[ChainRow]) -> dict[int, int]:
    """Stored seq -> the position the prev_hash links give the row, walking from genesis."""
    after = {row.prev_hash: row for row in rows}
    positions: dict[int, int] = {}
    current, place = GENESIS_HASH, 1
    while current in after and after[current].seq not in positions:
        row = after[current]
        positions[row.seq] = place
        current, place = row.hash, place + 1
    return positions


def _link_finding(
    deal: str, row: ChainRow, last_seq: int, belongs_at: dict[int, str], hashes: set[str]
) -> Diagnostic | None:
    if row.seq > last_seq + 1:
        missing = (f"seq {last_seq + 1}" if row.seq == last_seq + 2
                   else f"seqs {last_seq + 1}..{row.seq - 1}")
        return finding("LEDGER-DELETED", deal, row.seq,
                       f"{missing} missing before row seq {row.seq} (deleted)")
    expected = GENESIS_HASH if row.seq == 1 else belongs_at.get(row.seq - 1)
    if row.prev_hash == expected:
        return None
    if row.prev_hash in hashes or row.prev_hash == GENESIS_HASH:
        return finding("LEDGER-REORDERED", deal, row.seq,
                       f"row seq {row.seq} does not follow row seq {row.seq - 1} in the chain")
    return finding("LEDGER-DELETED", deal, row.seq,
                   f"the row that seq {row.seq} follows is no longer in the ledger "
                   "(deleted, or replaced)")


# --- the terms and the quotes (migration 0003) -----------------------------------------------

QUOTE_FIELDS = ("open", "high", "low", "close", "bid", "ask", "vwap", "volume")


def terms_hash(terms_toml: str) -> str:
    """sha256 of the deal's terms text, as registered."""
    return hashlib.sha256(terms_toml.encode("utf-8", "surrogatepass")).hexdigest()


def quote_json(row: Any) -> dict[str, Any]:
    """One quote row as the canonical JSON object that is logged and compared: the date
    in ISO form, each price as its stored decimal text, the volume as an integer; a field
    the row does not have is left out (an import keeps the stored value there)."""
    data: dict[str, Any] = {"date": _text(row["date"])}
    for name in QUOTE_FIELDS:
        value = row.get(name)
        if value is None:
            continue
        if name == "volume":
            data[name] = value if isinstance(value, int) and not isinstance(value, bool) else _text(value)
        else:
            data[name] = _text(value)
    return data


def _text(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def quote_import_hash(prev_hash: str, deal: str, seq: int, imported_at: dt.datetime,
                      quotes: Sequence[dict[str, Any]]) -> str:
    """sha256 of the previous import's hash and this import's canonical JSON."""
    body = canonical_json({"deal": deal, "seq": seq, "imported_at": as_utc(imported_at).isoformat(),
                           "quotes": list(quotes)})
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


@dataclass(frozen=True)
class QuoteImportRow:
    """One entry of the quote import log as read back."""

    seq: int
    imported_at: dt.datetime  # UTC
    quotes: str  # canonical JSON list of quote_json objects
    prev_hash: str
    hash: str


def audit_terms(deal: str, terms_toml: str, recorded_hash: str) -> list[Diagnostic]:
    """The terms text must still hash to what was recorded when the deal was registered."""
    if terms_hash(terms_toml) == recorded_hash:
        return []
    return [Diagnostic("LEDGER-EDITED", "the deal's terms were edited: the stored terms text no longer "
                       "matches the hash recorded when the deal was registered",
                       file=f"ledger of {deal}", field="terms")]


def audit_quotes(
    deal: str,
    imports: Sequence[QuoteImportRow],
    stored: Sequence[dict[str, Any]],
    head: tuple[int, str],
) -> list[Diagnostic]:
    """Check the quote import log's chain, then replay it and compare with the stored quotes.

    ``stored`` are the ``quote_json`` objects of the ``quotes`` table. A date the
    log has and the table lacks was deleted; a date only the table has was
    inserted; a date whose fields differ was edited. When the log itself is
    broken the replay proves nothing, so only the log's findings are reported.
    """
    where = f"ledger of {deal}"
    findings: list[Diagnostic] = []
    prev_hash, expected_seq = GENESIS_HASH, 1
    replayed: dict[str, dict[str, Any]] = {}
    for entry in imports:
        if entry.seq != expected_seq:
            missing = (f"quote import {expected_seq}" if entry.seq == expected_seq + 1
                       else f"quote imports {expected_seq}..{entry.seq - 1}")
            findings.append(Diagnostic("LEDGER-DELETED", f"{missing} missing from the quote import log (deleted)",
                                       file=where, field="quotes"))
        try:
            written = json.loads(entry.quotes)
            if not isinstance(written, list) or not all(isinstance(q, dict) and "date" in q for q in written):
                raise ValueError("not a list of quotes")
        except ValueError:
            findings.append(Diagnostic("LEDGER-EDITED", f"quote import {entry.seq} was edited (not a list of "
                                       "quotes)", file=where, field="quotes"))
            prev_hash, expected_seq = entry.hash, entry.seq + 1
            continue
        digest = quote_import_hash(entry.prev_hash, deal, entry.seq, entry.imported_at, written)
        if digest != entry.hash or canonical_json(written) != entry.quotes:
            findings.append(Diagnostic("LEDGER-EDITED", f"quote import {entry.seq} was edited",
                                       file=where, field="quotes"))
        elif entry.prev_hash != prev_hash and entry.seq == expected_seq:
            findings.append(Diagnostic("LEDGER-DELETED", f"the quote import that import {entry.seq} follows is "
                                       "no longer in the log (deleted, or replaced)", file=where, field="quotes"))
        for quote in written:
            replayed[quote["date"]] = {**replayed.get(quote["date"], {}), **quote}
        prev_hash, expected_seq = entry.hash, entry.seq + 1
    head_seq, head_hash = head
    last_seq = imports[-1].seq if imports else 0
    if last_seq < head_seq:
        missing = (f"quote import {head_seq}" if last_seq + 1 == head_seq
                   else f"quote imports {last_seq + 1}..{head_seq}")
        findings.append(Diagnostic("LEDGER-DELETED", f"{missing} missing at the end of the quote import log "
                                   "(deleted)", file=where, field="quotes"))
    elif imports and last_seq == head_seq and imports[-1].hash != head_hash:
        findings.append(Diagnostic("LEDGER-EDITED", f"quote import {last_seq} is not the import recorded as "
                                   "the head of the quote log", file=where, field="quotes"))
    if findings:
        return findings
    table = {quote["date"]: quote for quote in stored}
    for day in sorted(set(replayed) | set(table)):
        logged, found = replayed.get(day), table.get(day)
        if found is None:
            findings.append(Diagnostic("LEDGER-DELETED", f"the quote of {day} was deleted", file=where,
                                       field="quotes"))
        elif logged is None:
            findings.append(Diagnostic("LEDGER-EDITED", f"the quote of {day} was inserted behind pipedeal's back "
                                       "(no import recorded it)", file=where, field="quotes"))
        elif logged != found:
            changed = [name for name in QUOTE_FIELDS if logged.get(name) != found.get(name)]
            detail = ", ".join(f"{name} {logged.get(name, 'empty')} recorded, {found.get(name, 'empty')} stored"
                               for name in changed)
            findings.append(Diagnostic("LEDGER-EDITED", f"the quote of {day} was edited: {detail}", file=where,
                                       field="quotes"))
    return findings


def quote_import_body_hash(entry: QuoteImportRow, deal: str) -> str:
    """``quote_import_hash`` of an import as stored, without decoding its quotes: the body's
    canonical JSON (keys sorted: deal, imported_at, quotes, seq) with the stored text spliced in
    where ``canonical_json(quotes)`` goes. The stored text is the canonical one exactly when this
    hash is the recorded one, so a fit proves both the hash and the canonical spelling that
    ``audit_quotes`` checks by decoding and re-encoding."""
    body = (f'{{"deal":{json.dumps(deal)},"imported_at":{json.dumps(as_utc(entry.imported_at).isoformat())},'
            f'"quotes":{entry.quotes},"seq":{json.dumps(entry.seq)}}}')
    return hashlib.sha256((entry.prev_hash + body).encode("utf-8", "surrogatepass")).hexdigest()


def quotes_agree(deal: str, imports: Sequence[QuoteImportRow], table_text: str, head: tuple[int, str]) -> bool:
    """Whether the quote import log is intact and its replay is exactly the quotes table, given
    as ``table_text``: the ``canonical_json`` of each stored row's ``quote_json``, in date
    order, joined by commas (the database builds it, see ``ledger._quote_text``).

    A proof of the clean case only, for a ledger of many deals: ``True`` means ``audit_quotes``
    would find nothing (every import at its seq, linked, hashing to its recorded hash, the last
    one the head; the replay's canonical text equal to the table's, hence the same dates, fields
    and values). ``False`` says nothing more: the caller runs ``audit_quotes`` on the rows for
    the findings. One import (the usual case) is compared as text, without decoding it: an
    import's quotes are written in date order, one per date (``QuoteBook``).
    """
    prev_hash = GENESIS_HASH
    for expected_seq, entry in enumerate(imports, start=1):
        if entry.seq != expected_seq or entry.prev_hash != prev_hash:
            return False
        if quote_import_body_hash(entry, deal) != entry.hash:
            return False
        prev_hash = entry.hash
    if (len(imports), prev_hash) != (head[0], head[1] if imports else GENESIS_HASH):
        return False
    if not imports:
        return table_text == ""
    if len(imports) == 1:
        logged = imports[0].quotes
        return logged.startswith("[") and logged.endswith("]") and logged[1:-1] == table_text
    replayed: dict[str, dict[str, Any]] = {}
    try:
        for entry in imports:
            for quote in json.loads(entry.quotes):
                replayed[quote["date"]] = {**replayed.get(quote["date"], {}), **quote}
    except (ValueError, TypeError, KeyError, RecursionError):
        return False
    return canonical_json([replayed[day] for day in sorted(replayed)])[1:-1] == table_text


def audit_anchor(deal: str, rows: Sequence[ChainRow], anchor: tuple[int | None, str]) -> list[Diagnostic]:
    """An anchor (a head printed earlier and kept elsewhere) must still be a row of the chain.

    The chain checks itself and the recorded head; only an anchor kept outside
    the database shows a ledger cut back to an earlier row *and* its head
    rewound to match. The anchored row must be at its seq with its hash (the
    rest of ``verify`` checks that the chain still extends from it).
    """
    seq, digest = anchor
    by_hash = {row.hash: row for row in rows}
    found = by_hash.get(digest)
    if found is not None and (seq is None or found.seq == seq):
        return []
    shown = f"seq {seq} sha256:{digest}" if seq is not None else f"sha256:{digest}"
    last = rows[-1].seq if rows else 0
    if seq is not None and seq > last:
        why = f"the ledger now ends at seq {last}: it was rolled back behind the anchor"
    elif seq is not None and any(row.seq == seq for row in rows):
        why = f"row seq {seq} is no longer the anchored row: the ledger was rolled back and rewritten"
    else:
        why = "no row of the ledger has that hash: it was rolled back or rewritten"
    return [Diagnostic("LEDGER-ROLLED-BACK", f"the anchor {shown} is not in the ledger: {why}",
                       file=f"ledger of {deal}", seq=seq)]
