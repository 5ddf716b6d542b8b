"""Treated lines turned into Beancount transactions (and the Open directives they need)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from beancount.core.amount import Amount
from beancount.core.data import EMPTY_SET, Open, Posting, Transaction

from beancount_revrec.config import Config
from beancount_revrec.contract_directives import Billing
from beancount_revrec.contracts import CONTRACT_RULE
from beancount_revrec.engine import Analysis
from beancount_revrec.errors import RevrecError, guarded
from beancount_revrec.meta import (
    KEY,
    KIND,
    RULE,
    SIDE,
    SOURCE_FIELDS,
    TREATMENT,
    deferral_key,
    reclass_key,
    recognition_key,
)
from beancount_revrec.records import Movement, Treated
from beancount_revrec.schedule import ZERO
from beancount_revrec.sources import Line

TAGS = frozenset({"revrec"})
GENERATED_FILE = "<beancount_revrec>"
"""The file name of what the plugin adds without a source line (Open directives)."""
_RECLASS_TITLES = {"tax": "Reclassify as tax", "fee": "Reclassify as fee", "passthrough": "Pass through",
                   "exclude": "Exclude", "deferred": "Credit against deferred revenue",
                   "contra": "Refund of recognised revenue",
                   "credit-note": "Credit note on recognised revenue", "dispute": "Dispute of recognised revenue",
                   "write-off": "Write-off of recognised revenue", "void": "Void of recognised revenue",
                   "other-loss": "Loss beyond the line", "recoverables": "Recovered",
                   "unbilled": "Bill unbilled revenue"}
_LINK_SAFE = re.compile(r"[A-Za-z0-9\-_/]+")
_ESCAPED = re.compile(r"[^A-Za-z0-9\-_/]")
_new = tuple.__new__
"""Builds Beancount's named tuples directly: their Python-level ``__new__`` (and
``Amount``'s asserts) cost more than the rest of a generated transaction."""


def generate(analysis: Analysis, config: Config) -> tuple[list[Transaction], list[RevrecError]]:
    """The deferral, reclass and recognition transactions of every line, and the contracts' movements.

    Should a line fail (it never has), each line is then generated on its own, and the one that fails is an
    error at its line instead of the plugin's failure.
    """
    items = [item for item in analysis.treated if item.line.source != "contract"]
    errors: list[RevrecError] = []
    try:
        entries = [entry for item in items for entry in line_entries(item, config)]
    except Exception:  # noqa: BLE001 - found again line by line below, each failure at its line
        entries = []
        for item in items:
            made: list[Transaction] | RevrecError = guarded(
                item.line.meta, item.line.entry, "generating its entries", "the line stays as booked",
                partial(list, line_entries(item, config)))
            if isinstance(made, RevrecError):
                errors.append(made)
            else:
                entries += made
    return entries + [movement_entry(movement) for movement in analysis.movements], errors


def generate_after(analysis: Analysis, config: Config, day: datetime.date) -> list[Transaction]:
    """The transactions ``generate`` makes dated after ``day``, generating only the lines and movements that have any.

    A line's entries fall on its date (deferral, reclasses), its reclasses' own dates and its schedule's days.
    """
    def reaches(item: Treated) -> bool:
        return (item.line.date > day or any(when > day for _, when in item.reclass_dates)
                or any(when > day for when, _ in item.schedule))

    later = analysis._replace(treated=[item for item in analysis.treated if reaches(item)],
                              movements=[movement for movement in analysis.movements if movement.date > day])
    return [entry for entry in generate(later, config)[0] if entry.date > day]


def line_entries(item: Treated, config: Config) -> Iterator[Transaction]:
    """The transactions of one treated line, each written debit first with a positive amount.

    Each transaction has its own metadata and postings (a later plugin may edit them in place); its two
    postings share one location dict: BQL's any_meta() needs posting meta to fall back to the entry's.
    """
    line = item.line
    flip = line.side == "expense"  # a cost's amounts are debits: each entry moves the other way
    if flip:
        config = _side_config(config, contract=line.contract is not None)
    base = _base_meta(line, item.rule, item.treatment.text)
    links = frozenset({link_of(line.invoice)}) if line.invoice else EMPTY_SET
    title, payee, currency, source = line.narration, line.payee, line.currency, line.key
    filename, lineno = base["filename"], base["lineno"]

    def entry(kind: str, key: str, day: datetime.date, narration: str, debit: str, credit: str,
              amount: Decimal) -> Transaction:
        meta = base.copy()
        meta[KIND] = kind
        meta[KEY] = key
        if flip:
            amount = -amount
        if amount < 0:
            debit, credit, amount = credit, debit, -amount
        location = {"filename": filename, "lineno": lineno}
        postings = [_new(Posting, (debit, _new(Amount, (amount, currency)), None, None, None, location)),
                    _new(Posting, (credit, _new(Amount, (-amount, currency)), None, None, None, location))]
        return _new(Transaction, (meta, day, "*", payee, narration, TAGS, links, postings))

    unbilled = recognised_before(item)
    if item.deferred - unbilled:
        yield entry("deferral", deferral_key(source), line.date, f"Defer: {title}", line.account, config.deferred,
                    item.deferred - unbilled)
    dates = dict(item.reclass_dates)
    for category, amount in (*item.reclasses, ("unbilled", unbilled)):
        if amount and config.reclass_account(category):  # a cost's credit: what was expensed stays there
            yield entry("reclass", reclass_key(source, category), dates.get(category, line.date),
                        f"{_title(category, flip=flip)}: {title}", line.account,
                        config.reclass_account(category), amount)
    # The many recognitions are made inline (a call each shows in the benchmark). Equal amounts (often one
    # Decimal: schedule.allocate) share their Amounts, which are immutable; postings and dicts are each entry's own.
    # Before the line's date (catch-up off), the revenue is unbilled, not deferred.
    recognise, deferred, account, first = f"Recognise: {title}", config.deferred, line.account, line.date
    amounts: dict[int, tuple[Amount, Amount]] = {}
    for day, amount in item.schedule:
        pair = amounts.get(id(amount))
        if pair is None:
            pair = amounts[id(amount)] = (_new(Amount, (abs(amount), currency)), _new(Amount, (-abs(amount), currency)))
        held = deferred if day >= first else config.unbilled
        debit, credit = (held, account) if (amount >= 0) != flip else (account, held)
        location = {"filename": filename, "lineno": lineno}
        meta = base.copy()
        meta[KIND] = "recognition"
        meta[KEY] = recognition_key(source, day)
        yield _new(Transaction, (meta, day, "*", payee, recognise, TAGS, links, [
            _new(Posting, (debit, pair[0], None, None, None, location)),
            _new(Posting, (credit, pair[1], None, None, None, location))]))


def _title(category: str, *, flip: bool) -> str:
    """The narration's start of a reclass: a cost's credit comes off the prepaid asset, not deferred revenue."""
    return "Credit against prepaid expense" if flip and category == "deferred" else \
        _RECLASS_TITLES.get(category, category)


def _side_config(config: Config, *, contract: bool) -> Config:
    """The accounts of an expense line: ``prepaid``, or ``contract-cost`` for a cost of obtaining a contract."""
    side = config.for_side("expense")
    return side._replace(deferred=config.contract_cost) if contract else side


def recognised_before(item: Treated) -> Decimal:
    """What a line's schedule recognises before the line's date: unbilled revenue until then.

    Only with catch-up off (``{'catch-up': 'off'}``) does a schedule keep pieces dated before its line
    (billing in arrears, usage reported before the invoice); on the line's date that part is billed: a
    reclass from ``unbilled``, while the deferral takes the rest.
    """
    schedule, first = item.schedule, item.line.date
    if not schedule or schedule[0][0] >= first:
        return ZERO
    return sum((amount for day, amount in schedule if day < first), ZERO)


def link_of(ident: str) -> str:
    """The link of an invoice or contract id: the id itself where a link can hold it.

    Otherwise every character a link cannot hold, and every ``.``, becomes ``.``
    and its UTF-8 bytes in hex (``in 7`` -> ``in.207``), so distinct ids always
    give distinct links.
    """
    if _LINK_SAFE.fullmatch(ident):
        return ident
    return _ESCAPED.sub(lambda match: "".join(f".{byte:02X}" for byte in match.group().encode()), ident)


def movement_entry(movement: Movement) -> Transaction:
    """The transaction of a contract's billing or recognition."""
    source = movement.source
    if isinstance(source, Billing):  # a billing schedule: the contract's
        meta = _meta(source.meta, CONTRACT_RULE, (movement.payee, None, None, None, source.contract))
        title, links = f"Contract {source.contract}, billing", frozenset({link_of(source.contract)})
    else:
        meta = _base_meta(source, CONTRACT_RULE)
        title = source.narration
        links = frozenset(link_of(link) for link in (source.contract, source.invoice) if link)
    meta[KIND], meta[KEY] = movement.kind, movement.key
    location = {"filename": meta["filename"], "lineno": meta["lineno"]}
    narration = f"{'Bill' if movement.kind == 'billing' else 'Recognise'}: {title}"
    postings = [Posting(account, Amount(number, movement.currency), None, None, None, location)
                for account, number in movement.postings]
    return Transaction(meta, movement.date, "*", movement.payee, narration, TAGS, links, postings)


def _base_meta(line: Line, rule: str, treatment: str | None = None) -> dict[str, Any]:
    meta = _meta(line.meta, rule, (line.customer, line.product, line.invoice, line.line_id, line.contract), treatment)
    if line.side == "expense":
        meta[SIDE] = line.side
    return meta


def _meta(
    source: dict[str, Any], rule: str, attributes: tuple[str | None, ...], treatment: str | None = None,
) -> dict[str, Any]:
    """A generated entry's metadata: its source's location, rule, a line's treatment, attributes (``SOURCE_FIELDS``)."""
    return {
        "filename": source.get("filename", GENERATED_FILE),
        "lineno": source.get("lineno", 0),
        RULE: rule,
        **({TREATMENT: treatment} if treatment is not None else {}),
        **{key: value for key, value in zip(SOURCE_FIELDS, attributes, strict=True) if value is not None},
        KIND: None,  # set in each entry's copy, which then never grows
        KEY: None,
    }


def missing_opens(entries: Iterable[Any], generated: Sequence[Transaction], config: Config) -> list[Open]:
    """Open directives for the configured accounts the generated postings use but the ledger never opens.

    Each opens on the date of the earliest generated transaction. The plugin
    never opens any other account: a revenue account the ledger does not open
    (a typo, ``Income:Sals``) stays Beancount's own error.
    """
    opened = {entry.account for entry in entries if isinstance(entry, Open)}
    used = {posting.account for entry in generated for posting in entry.postings}
    missing = (used & set(config.own_accounts())) - opened
    if not missing:
        return []
    day = min(entry.date for entry in generated)
    return [Open({"filename": GENERATED_FILE, "lineno": 0}, day, account, None, None)  # type: ignore[arg-type]
            for account in sorted(missing)]
