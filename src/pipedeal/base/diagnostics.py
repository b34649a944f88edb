"""Errors, warnings and breaches as data: the one diagnostic type of every stage.

Like beancount's errors, a diagnostic is a value that carries where it came
from (a file and line, or a ledger sequence number) so the CLI prints it
plainly and the web can point at it; a user's mistake is never a traceback.
Like OCF-Tools' checks, each has a stable registered code, a severity and a
one-line meaning (``pipedeal codes`` lists them):

- ``error``: the input cannot be used as it is; nothing is computed or written;
- ``warning``: the input is used, but something deserves a look;
- ``breach``: the deal's history shows a party failing a duty (a reported
  breach, not a Registration Default).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "breach"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "breach")


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity
    stage: str  # parse | validation | ledger | evaluation | breach | export | command
    meaning: str


def _codes(stage: str, severity: Severity, *entries: tuple[str, str]) -> list[Code]:
    return [Code(code, severity, stage, meaning) for code, meaning in entries]


CATALOGUE: tuple[Code, ...] = tuple([
    *_codes("parse", "error",
            ("TERMS-SYNTAX", "the terms file is not valid TOML"),
            ("TERMS-UNREADABLE", "the terms file cannot be read (missing, unreadable, not UTF-8)"),
            ("EVENTS-UNREADABLE", "the event file cannot be read (missing, unreadable, not UTF-8)"),
            ("EVENT-JSON", "a line of the event file is not JSON"),
            ("EVENT-NOT-OBJECT", "a line of the event file is not a JSON object"),
            ("EVENT-NO-TYPE", "an event has no type"),
            ("EVENT-UNKNOWN-TYPE", "an event's type is not in the vocabulary (RULES.md §6)"),
            ("QUOTES-UNREADABLE", "the quote file cannot be read (missing, unreadable, not UTF-8)"),
            ("QUOTES-EMPTY", "the quote file is empty"),
            ("QUOTES-NO-DATE", "the quote file's header has no date column"),
            ("QUOTES-UNKNOWN-COLUMN", "the quote file's header names a column pipedeal does not know"),
            ("QUOTES-DUPLICATE-COLUMN", "the quote file's header names a column twice"),
            ("QUOTES-ROW-WIDTH", "a quote row has more or fewer cells than the header"),
            ("QUOTES-BAD-DATE", "a quote's date is not an ISO date"),
            ("QUOTES-BAD-PRICE", "a price is not a positive decimal or 1999 fraction within bounds"),
            ("QUOTES-BAD-VOLUME", "a volume is not a whole number of shares within bounds"),
            ("QUOTES-DUPLICATE-DATE", "a date is quoted twice in one file"),
            ("QUOTES-LOW-ABOVE-HIGH", "a day's low is above its high")),
    *_codes("validation", "error",
            ("TERMS-INVALID", "a key of the terms file is out of range or of the wrong kind"),
            ("TERMS-MISSING", "a term that moves a figure is not stated (the message names the clause kind)"),
            ("TERMS-UNKNOWN-KEY", "a key the terms language does not have"),
            ("TERMS-EXCLUSIVE", "two keys of which a terms file gives exactly one (purchase_price or discount)"),
            ("TERMS-AMBIGUITY", "an [[ambiguities]] entry naming an unknown field or a value it cannot take"),
            ("EVENT-INVALID", "a field of an event is out of range or of the wrong kind"),
            ("EVENT-MISSING-FIELD", "an event lacks a field its type needs"),
            ("EVENT-UNKNOWN-FIELD", "an event has a field its type does not have"),
            ("EVENT-BAD-DATE", "an event's date is not a valid date"),
            ("EVENT-NO-OFFSET", "a notice's sent_at or received_at has no time zone offset (SPA 12.1)"),
            ("ALLOCATION-FRACTIONAL-SHARES", "a subscription does not buy a whole number of shares (SPA 2.1(a))"),
            ("ALLOCATION-FRACTIONAL-WARRANTS", "warrant coverage gives an investor a fraction of a warrant share"),
            ("ALLOCATION-MISMATCH", "an investor's subscription is not its shares (and warrants) at the price"),
            ("CALENDAR-UNKNOWN-MARKET", "the Principal Market is not an exchange calendar pipedeal knows"),
            ("CALENDAR-RANGE", "a date lies outside the range a calendar covers")),
    *_codes("ledger", "error",
            ("EVENT-BEFORE-CLOSING", "an event that presupposes the Closing is dated before it"),
            ("EVENT-DUPLICATE-CLOSING", "a second Closing"),
            ("EVENT-DUPLICATE", "an imported event is already in the ledger (--allow-duplicates records it again)"),
            ("CORRECTION-UNKNOWN-SEQ", "a correction supersedes a sequence number that is no earlier event"),
            ("CORRECTION-SUPERSEDED", "a correction supersedes an event already corrected (correct the correction)"),
            ("KNOWN-ON-UNRECORDED", "--known-on on an event file whose event gives no recorded_at"),
            ("EVENT-UNKNOWN-PARTY", "an event names a party the terms file does not have"),
            ("EVENT-UNKNOWN-WARRANT", "an event names a warrant certificate the register does not have"),
            ("EVENT-WARRANT-CLOSED", "an event uses a warrant certificate that is no longer outstanding"),
            ("EVENT-SOLD-BEYOND-HOLDINGS", "a sale of more shares than the investor holds that day"),
            ("EVENT-EXERCISE-BEYOND-BALANCE", "an exercise of more warrant shares than the certificate has"),
            ("EVENT-OUTSIDE-EXERCISE-WINDOW", "an exercise outside the Initial Exercise Date to Termination Date"),
            ("EVENT-CASHLESS-TOO-EARLY", "a cashless exercise before one year from the warrant's issue (W 3)"),
            ("EVENT-CASHLESS-NOT-ALLOWED", "a cashless exercise of a warrant that has none (cashless = never)"),
            ("EVENT-CASHLESS-REGISTERED", "a cashless exercise while a registration permits resale (W 3)"),
            ("EVENT-CASHLESS-NO-QUOTE", "a cashless exercise whose A (prior day's high and low) is not quoted"),
            ("EVENT-CASHLESS-UNDERWATER", "a cashless exercise with A not above the Exercise Price (W 3)"),
            ("EVENT-TRANSFER-BEYOND-BALANCE", "a transfer of more warrant shares than the certificate has"),
            ("EVENT-TRANSFER-AFTER-TERMINATION", "a warrant transfer after the Termination Date (W 1)"),
            ("EVENT-DIVIDE-MISMATCH", "a division whose denominations do not add up to the warrant (W 7(b))"),
            ("EVENT-COMBINE-REPEATED", "a combination naming one warrant twice"),
            ("EVENT-COMBINE-HOLDERS", "a combination of warrants of different holders (W 7(b))"),
            ("EVENT-NOT-A-REDUCTION", "a W 12 'reduction' that does not lower the Exercise Price"),
            ("EVENT-DUPLICATE-STATEMENT", "a second filing or effectiveness of one Registration Statement"),
            ("OBLIGATION-UNKNOWN", "an obligation_met or waiver names an obligation id the deal does not have"),
            ("OBLIGATION-MET-BY-EVENT", "an obligation_met for a duty its own event performs (rs_filed, ld_paid, ...)"),
            ("OBLIGATION-MET-EARLY", "an obligation_met dated before the event the duty arises from"),
            ("WAIVER-SIGNER", "a waiver not signed by exactly the parties the duty is owed to"),
            ("CLOSING-CONDITIONS-OPEN", "a closing while a condition of the terms is neither satisfied nor waived, or "
             "an investor's funds received differ from its subscription (SPA 2.1(b)); the message names them"),
            ("CLOSING-NO-CHECKLIST", "a checklist event for a deal whose terms have no [closing] block"),
            ("CLOSING-CHECKLIST-CLOSED", "a condition, waiver, wire or condition's delivery dated after the Closing"),
            ("CLOSING-UNKNOWN-CONDITION", "a condition_satisfied or condition_waived naming no condition of the terms"),
            ("CLOSING-CONDITION-SETTLED", "a condition satisfied or waived a second time"),
            ("CLOSING-SATISFIED-BY-DELIVERY",
             "a condition_satisfied for a delivery condition (its deliverables satisfy it), or a deliverable_delivered "
             "for funds (funds_received records them)"),
            ("CLOSING-WAIVER-SIDE",
             "a waiver not signed by the side the condition protects (company, investors, both)"),
            ("CLOSING-FUNDS-EXCESS", "a wire that takes an investor's funds received beyond its subscription"),
            ("CLOSING-UNKNOWN-DELIVERABLE", "a deliverable_delivered naming no deliverable of the terms"),
            ("CLOSING-DELIVERED-TWICE", "a deliverable delivered twice (to the same investor)"),
            ("LEDGER-EDITED", "a ledger row (or the stored terms or quotes) no longer matches its hash"),
            ("LEDGER-DELETED", "ledger rows are missing from the chain"),
            ("LEDGER-REORDERED", "ledger rows were moved out of their chain order"),
            ("LEDGER-UNPARSEABLE", "a ledger row is not a valid event"),
            ("LEDGER-ROLLED-BACK", "the ledger no longer contains the anchored row: it was rolled back"),
            ("LEDGER-BROKEN", "a command refused to read a ledger that does not verify (--allow-broken-ledger)")),
    *_codes("evaluation", "error",
            ("PRICING-MISSING-QUOTE", "a quote the Market Price needs (SPA 1.10) is missing"),
            ("LD-MISSING-CLOSE", "a close a default day's market value needs (RRA 3(e)) is missing"),
            ("STRICT-UNSET-KEY", "--strict: an unconfirmed reading of an ambiguity changes a figure")),
    *_codes("breach", "breach",
            ("RESERVE-SHORTFALL", "fewer shares reserved than the outstanding warrant shares (SPA 6.2, W 15)"),
            ("AUTHORIZED-SHORTFALL", "authorized Common below outstanding plus reserved (SPA 4.3, 6.2; W 15)"),
            ("BLACKOUT-LATE-NOTICE", "a blackout noticed less than 2 Trading Days ahead (RRA 3(g))"),
            ("W14-LATE-NOTICE", "a corporate action noticed less than 30 days ahead (W 14)"),
            ("EXERCISE-PRICE-BELOW-PAR", "an adjustment or reduction puts the Exercise Price below par (W 15)"),
            ("SPA69-DISCOUNTED-SALE", "a financing below the bid inside the SPA 6.9 window, not exempt (RULES §5)")),
    *_codes("evaluation", "warning",
            ("SPLIT-CASH-IN-LIEU", "a split of an odd share count: cash is paid in lieu of the fraction (RULES §4)"),
            ("ANTI-DILUTION-ROUNDED-AWAY",
             "an issue below the Exercise Price whose weighted average, once rounded, is not lower: no adjustment"),
            ("SPA69-NO-BID", "a financing inside the SPA 6.9 window with no bid known: not judged (RULES §5)"),
            ("ADDITIONAL-STATEMENT-NONE",
             "an insufficient-shares notice where the agreement has no additional statement: no deadline follows"),
            ("NOTICE-NEVER-EFFECTIVE",
             "a notice that never takes effect (an unconfirmed fax, email the agreement does not allow): no clock "
             "starts (SPA 12.1)")),
    *_codes("export", "error",
            ("OCF-EXPORT", "the deal cannot be written as Open Cap Format"),
            ("OCF-INVALID", "the OCF package does not validate against the official schemas")),
    *_codes("command", "error",
            ("CLI-BAD-ANCHOR", "a verify --anchor that is not SEQ:HASH, or names no single deal"),
            ("CLI-BAD-DATE", "a date that is not YYYY-MM-DD (a web form field, a URL parameter), or --from after --to"),
            ("CLI-BAD-KNOWN-ON", "a --known-on (or changes --from/--to) that is not an ISO date or date-time"),
            ("CLI-BAD-CHANGES", "changes given neither --from/--to nor --as-of-from/--as-of-to, or both"),
            ("CLI-BAD-FIELD", "an events add field is not FIELD=VALUE"),
            ("CLI-BAD-FORMAT", "an output format pipedeal does not write"),
            ("CLI-BAD-METHOD", "an exercise method other than cash or cashless"),
            ("CLI-BAD-SET", "a --set that names an unknown key or value"),
            ("CLI-BAD-SHARES", "a share count on the command line is not a positive number"),
            ("CLI-UNKNOWN-INVESTOR", "an --investor the terms file does not have"),
            ("USER-EMAIL", "a web user's email that is not an email address"),
            ("USER-EXISTS", "a web user added twice (users grant gives one more deal)"),
            ("USER-GRANT", "a web user's --deal/--investor that does not fit its role"),
            ("USER-MISSING", "no web user with that email"),
            ("USER-PASSWORD", "a web user's password too short or too long, or not given on standard input"),
            ("USER-ROLE", "a web user's role other than admin, company, counsel or investor"),
            ("CLI-UNKNOWN-PARTY", "a --party no deal read has"),
            ("WEB-MISSING-FIELD", "a web form or document link without a field it needs"),
            ("CLI-CONFLICTING-OPTIONS",
             "options that cannot be used together (--deal with --all, --events with many deals)"),
            ("CLI-UNKNOWN-WARRANT", "a warrant id the register does not have"),
            ("DEAL-UNKNOWN", "no bundled deal and no terms file by that name"),
            ("DEAL-NAME", "a deal name that is empty or too long"),
            ("DEAL-EXISTS", "the deal is already in the ledger with different terms"),
            ("DEAL-MISSING", "the ledger does not hold that deal"),
            ("DB-URL", "a database URL pipedeal cannot use"),
            ("DB-UNREACHABLE", "the ledger database cannot be reached"),
            ("DB-ERROR", "the ledger database refused an operation"),
            ("WORKSPACE-MISSING", "the command needs a ledger and there is none (run pipedeal init)"),
            ("WORKSPACE-OUTDATED", "the ledger's schema is newer than this pipedeal"),
            ("STATEMENT-REFUSED", "an LD statement or letter that cannot be written (nothing to demand, ...)"),
            ("DOCUMENT-REFUSED", "a warrant form that cannot be written"),
            ("OUTPUT-PATH", "an output folder that is a file or device, cannot be made, or cannot be written")),
])

CODES: dict[str, Code] = {entry.code: entry for entry in CATALOGUE}


EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "done"),
    (EXIT_FINDINGS, "a check found something: `verify` findings, `obligations --fail-on-overdue` with an overdue "
                    "obligation"),
    (EXIT_BAD_INPUT, "bad input: a file, an event, an option or a value refused (each problem with its file, line "
                     "and field); nothing was written"),
    (EXIT_INTERNAL, "an internal error of pipedeal's: a one-line message and a hint to report it "
                    "(`PIPEDEAL_DEBUG=1` shows the traceback)"),
)
"""The command line's exit statuses (README, `pipedeal codes`)."""


def catalogue_markdown() -> str:
    """docs/codes.md: every code, its severity, stage and meaning, as a Markdown table; then the exit codes."""
    lines = ["# Diagnostic codes", "",
             "Every problem, warning and breach pipedeal reports carries one of these codes "
             "(`pipedeal codes` prints the same list). `error`: the input cannot be used and nothing "
             "is computed or written; `warning`: used, but worth a look; `breach`: a party failed a duty.",
             "", "| code | severity | stage | meaning |", "|---|---|---|---|"]
    lines += [f"| `{c.code}` | {c.severity} | {c.stage} | {c.meaning} |" for c in CATALOGUE]
    lines += ["", "## Exit codes", "", "| code | meaning |", "|---|---|"]
    lines += [f"| {code} | {meaning} |" for code, meaning in EXIT_CODES]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Diagnostic:
    """One problem or breach: a registered code, its severity, the clause it applies, where
    it came from (a file and line and field, or a ledger sequence number) and what is wrong."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    severity: Severity = None  # type: ignore[assignment]  # None: the code's own
    clause: str | None = None
    date: dt.date | None = None  # for a breach: the day it happened
    seq: int | None = None  # a ledger row's sequence number

    def __post_init__(self) -> None:
        spec = CODES.get(self.code)
        if spec is None:
            raise ValueError(f"unregistered diagnostic code {self.code!r} (add it to diagnostics.CATALOGUE)")
        if self.severity is None:
            object.__setattr__(self, "severity", spec.severity)
        elif self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    def where(self) -> str:
        """``file, seq N, line N, field F``; with no file, what is known (never a placeholder)."""
        parts = [self.file] if self.file else []
        if self.seq is not None:
            parts.append(f"seq {self.seq}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(f"field {self.field}")
        return ", ".join(parts) or "pipedeal"

    def __str__(self) -> str:
        return f"{self.where()}: {self.message} [{self.code}]"

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "clause": self.clause,
            "date": self.date.isoformat() if self.date else None,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "seq": self.seq,
        }


class InputError(Exception):
    """One or more error diagnostics about a user's input; nothing was written."""

    def __init__(self, problems: Iterable[Diagnostic]):
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def pydantic_field(loc: tuple[object, ...]) -> str:
    """A Pydantic error location as a dotted field name (``investors[1].subscription``)."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text
