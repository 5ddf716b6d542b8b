"""Stripe Revenue Recognition import CSVs as the ledger's own directives.

Stripe's data-import page (docs.stripe.com/revenue-recognition/data-import, and its
examples page) documents the **general import** CSV with the columns
``"source"``, ``"transaction_id"``, ``"split_transaction_id"``, ``"booked_date"``,
``"recognition_start_date"``, ``"recognition_end_date"``, ``"amount"``,
``"currency"`` and ``"description"``. Its first example, a payment ``py_1234``
for "a yearly subscription from February 1, 2020 to January 31, 2021", is the row
``Stripe,py_1234,,,2020-02-01,2021-01-31,,,``: ``recognition_end_date`` is the
last day of service (inclusive), where the ledger's ``service-end`` is the first
day after it.

A row becomes:

- ``source`` "Stripe" (any case), no ``split_transaction_id``: a ``revrec-rule``
  matching the id (``invoice:`` for an ``in_`` id, else ``line:``) with
  ``treatment: "amortize N days from START"`` — daily over exactly
  [start, end + 1 day), which is ``ratable`` over that period;
- "Stripe" with an invoice line item id (``il_``) as ``split_transaction_id``
  (the page's override of a line's service period: ``Stripe,in_1234,il_5678,...``):
  the same rule, matching ``line:`` that line;
- several "Stripe" rows sharing a ``transaction_id``, each with another
  ``split_transaction_id`` and an ``amount``: one rule whose treatment gives each
  split its share, ``"60% amortize 365 days from 2020-02-01 + 40% ..."``;
- any other ``source`` (an external processor): a Transaction on ``booked_date``
  debiting the cash account and crediting the revenue account, with
  ``service-start``/``service-end`` and as ``line:`` the id (``ID/SPLIT`` for a
  split; ``invoice:`` too for an ``in_`` id), and ``import-id: "SOURCE/ID[/SPLIT]"``,
  the row's identity in Stripe's data import.

A "Stripe" row with neither recognition date (Stripe's correction that goes back
to the transaction's own dates) changes nothing the ledger can hold: it is a
problem that says to delete the rule an earlier import added. The amount and
currency of a "Stripe" row that is not a split are Stripe's own and are not read.
An amount with more decimals than its currency has is an error.

The **exclusion import** is a CSV of ids (a column named ``id`` or
``transaction_id``, else the first column; or just the ids, one a line): each
becomes a rule with ``treatment: "exclude"`` matching ``invoice:`` (``in_`` ids)
or ``line:`` (every other id: invoice items ``ii_``, lines ``il_``, payments).

The ledger has no key for invoice items or payments of their own: a rule for an
``ii_``, ``py_``, ``ch_`` or ``pi_`` id matches the revenue posting whose
``line:`` is that id. The treatment rules are dated 1970-01-01, so they apply to
every line whatever its date, and the directive's ``lineno`` is the CSV row.

Rule names derive from the ids (``import-ID``, ``import-il_...`` for a line
override, ``exclude-ID``), so importing the same file again gives the same names.
``read_revenue_csv`` tells the two imports apart by the header (``kind``). Errors name the file and CSV row and never
stop the good rows from importing.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from beancount.core import data
from beancount.core.amount import Amount
from beancount.parser.grammar import ValueType

from beancount_revrec.importers.stripe_base import ImportProblem, StripeError, exponent

COLUMNS = (
    "source",
    "transaction_id",
    "split_transaction_id",
    "booked_date",
    "recognition_start_date",
    "recognition_end_date",
    "amount",
    "currency",
    "description",
)
REQUIRED = ("source", "transaction_id", "recognition_start_date", "recognition_end_date")
RULE_DATE = datetime.date(1970, 1, 1)
HUNDRED = Decimal(100)
SHARE_PLACES = Decimal("0.000001")
LINE_PREFIX = "il_"
IMPORT_ID = "import-id"


@dataclass(frozen=True)
class Accounts:
    """The accounts an external transaction books to."""

    cash: str = "Assets:Cash"
    revenue: str = "Income:Sales"


@dataclass(frozen=True)
class Row:
    """One parsed general-import row."""

    row: int
    source: str
    transaction_id: str
    split_id: str
    booked: datetime.date | None
    start: datetime.date
    end: datetime.date  # inclusive, as Stripe writes it
    amount: Amount | None
    description: str

    @property
    def is_stripe(self) -> bool:
        """Whether the row adjusts a Stripe transaction."""
        return is_stripe(self.source)

    @property
    def is_line_override(self) -> bool:
        """Whether the row overrides an invoice line's service period (its split id is the line's ``il_`` id)."""
        return self.split_id.startswith(LINE_PREFIX)


def is_stripe(source: str) -> bool:
    """Whether a row's ``source`` is Stripe (any case, as Stripe reads it)."""
    return source.strip().lower() == "stripe"


class RowError(Exception):
    """A bad value in a row."""


def _meta(filename: str, row: int) -> data.Meta:
    return data.new_metadata(filename, row)


def _date(text: str, column: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise RowError(f'bad date "{text}" in {column}: write YYYY-MM-DD') from None


def _amount(number: str, currency: str) -> Amount | None:
    if not number.strip():
        return None
    try:
        value = Decimal(number.strip())
    except InvalidOperation:
        raise RowError(f'bad amount "{number}"') from None
    if not value.is_finite():
        raise RowError(f'bad amount "{number}"')
    code = currency.strip().upper()
    try:
        places = exponent(code)
    except StripeError:
        raise RowError(f'unknown currency "{currency}": write an ISO code such as USD') from None
    try:
        exact = value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        raise RowError(f'bad amount "{number}"') from None
    if exact != value:
        raise RowError(f'amount "{number}" has more decimals than {code} has ({places})')
    return Amount(exact, code)


def _cell(record: dict[str, str], column: str) -> str:
    return (record.get(column) or "").strip()


def _check_dates(record: dict[str, str]) -> None:
    """Stop a Stripe row with neither recognition date (Stripe's correction), saying what to do instead."""
    if _cell(record, "recognition_start_date") or _cell(record, "recognition_end_date"):
        return
    if not is_stripe(_cell(record, "source")) or not _cell(record, "transaction_id"):
        return
    split_id = _cell(record, "split_transaction_id")
    target = split_id if split_id.startswith(LINE_PREFIX) else _cell(record, "transaction_id")
    raise RowError(f"{target} has no recognition dates, so Stripe's own dates stand: there is no rule to import "
                   f'(delete the rule "import-{target}" if an earlier import added it; a booked date does not move '
                   "a Stripe transaction)")


def _parse_row(number: int, record: dict[str, str]) -> Row:
    _check_dates(record)
    for column in REQUIRED:
        if not _cell(record, column):
            raise RowError(f"{column} is empty")
    start = _date(record["recognition_start_date"], "recognition_start_date")
    end = _date(record["recognition_end_date"], "recognition_end_date")
    if end < start:
        raise RowError(f"recognition_end_date {end} is before recognition_start_date {start}")
    booked, split_id = _cell(record, "booked_date"), _cell(record, "split_transaction_id")
    # a Stripe transaction's amount is Stripe's: only an external row and a part of a split have their own
    reads_amount = not is_stripe(record["source"]) or bool(split_id and not split_id.startswith(LINE_PREFIX))
    return Row(
        row=number,
        source=_cell(record, "source"),
        transaction_id=_cell(record, "transaction_id"),
        split_id=split_id,
        booked=_date(booked, "booked_date") if booked else None,
        start=start,
        end=end,
        amount=_amount(_cell(record, "amount"), _cell(record, "currency")) if reads_amount else None,
        description=_cell(record, "description"),
    )


Records = list[tuple[int, dict[str, str]]]


def _reader(text: str, filename: str, required: Iterable[str]) -> tuple[Records, list[ImportProblem]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lstrip("\ufeff").strip().lower() for name in reader.fieldnames or []]
    missing = [column for column in required if column not in header]
    if missing:
        return [], [ImportProblem(filename, 1, f"missing column(s): {', '.join(missing)}")]
    reader.fieldnames = header
    rows: Records = []
    for record in reader:
        rows.append((reader.line_num, {key: value or "" for key, value in record.items() if key is not None}))
    return rows, []


def _key(transaction_id: str) -> str:
    return "invoice" if transaction_id.startswith("in_") else "line"


def _treatment(row: Row) -> str:
    days = (row.end - row.start).days + 1
    return f"amortize {days} day{'s' if days != 1 else ''} from {row.start}"


def _rule(name: str, transaction_id: str, treatment: str, meta: data.Meta) -> data.Custom:
    meta = {**meta, _key(transaction_id): transaction_id, "treatment": treatment}
    return data.Custom(meta, RULE_DATE, "revrec-rule", [ValueType(name, str)])


def _shares(rows: list[Row]) -> list[Decimal]:
    amounts = [abs(row.amount.number) for row in rows if row.amount is not None and row.amount.number is not None]
    if len(amounts) != len(rows) or not sum(amounts):
        raise RowError("each split of a payment needs an amount, and they must not all be zero")
    total = sum(amounts)
    shares = [(amount * HUNDRED / total).quantize(SHARE_PLACES).normalize() for amount in amounts[:-1]]
    return [*shares, (HUNDRED - sum(shares)).normalize()]


def _split_rule(filename: str, rows: list[Row]) -> data.Custom:
    seen: dict[str, int] = {}
    for row in rows:
        if row.split_id in seen:
            raise RowError(f'split "{row.split_id}" is on rows {seen[row.split_id]} and {row.row}: '
                           "give each part its own split_transaction_id")
        seen[row.split_id] = row.row
    shares = _shares(rows)
    treatment = " + ".join(f"{share:f}% {_treatment(row)}" for share, row in zip(shares, rows, strict=True))
    transaction_id = rows[0].transaction_id
    return _rule(f"import-{transaction_id}", transaction_id, treatment, _meta(filename, rows[0].row))


def _external(filename: str, row: Row, accounts: Accounts) -> data.Transaction:
    if row.amount is None or row.booked is None:
        raise RowError("an external transaction needs booked_date, amount and currency")
    line_id = f"{row.transaction_id}/{row.split_id}" if row.split_id else row.transaction_id
    meta = _meta(filename, row.row)
    meta[IMPORT_ID] = f"{row.source}/{line_id}"
    if _key(row.transaction_id) == "invoice":
        meta["invoice"] = row.transaction_id
    revenue_meta = {
        "line": line_id,
        "service-start": row.start,
        "service-end": row.end + datetime.timedelta(days=1),
    }
    postings = [
        data.Posting(accounts.cash, row.amount, None, None, None, None),
        data.Posting(accounts.revenue, -row.amount, None, None, None, revenue_meta),
    ]
    return data.Transaction(
        meta, row.booked, "*", row.source, row.description or line_id, frozenset(), frozenset(), postings
    )


def import_general(
    text: str, filename: str = "<import>", accounts: Accounts | None = None
) -> tuple[list[data.Directive], list[ImportProblem]]:
    """Read a general-import CSV.

    Args:
        text: The CSV's text.
        filename: Its name, for errors and metadata.
        accounts: The accounts external transactions book to.

    Returns:
        The directives, in the rows' order, and the errors of the rows left out.
    """
    accounts = accounts or Accounts()
    records, errors = _reader(text, filename, REQUIRED)
    rows: list[Row] = []
    for number, record in records:
        try:
            rows.append(_parse_row(number, record))
        except RowError as error:
            errors.append(ImportProblem(filename, number, str(error)))
    entries: list[data.Directive] = []
    splits: dict[str, list[Row]] = {}
    for row in rows:
        try:
            if not row.is_stripe:
                entries.append(_external(filename, row, accounts))
            elif row.split_id and not row.is_line_override:
                splits.setdefault(row.transaction_id, []).append(row)
            else:
                target = row.split_id or row.transaction_id
                entries.append(_rule(f"import-{target}", target, _treatment(row), _meta(filename, row.row)))
        except RowError as error:
            errors.append(ImportProblem(filename, row.row, str(error)))
    for group in splits.values():
        try:
            entries.append(_split_rule(filename, group))
        except RowError as error:
            errors.append(ImportProblem(filename, group[0].row, f"{group[0].transaction_id}: {error}"))
    return _unique(entries, errors, filename)


def _unique(
    entries: list[data.Directive], errors: list[ImportProblem], filename: str
) -> tuple[list[data.Directive], list[ImportProblem]]:
    """Keep the first entry of each rule name or ``import-id``; a later one is an error at its row."""
    kept: list[data.Directive] = []
    first: dict[str, int] = {}
    for entry in entries:
        name = str(entry.values[0].value) if isinstance(entry, data.Custom) else str(entry.meta[IMPORT_ID])
        row = int(entry.meta["lineno"])
        if name in first:
            errors.append(ImportProblem(filename, row, f"{name.removeprefix('import-')} is already imported from row "
                                        f"{first[name]}: give each transaction one row (or split rows)"))
            continue
        first[name] = row
        kept.append(entry)
    errors.sort(key=lambda problem: problem.where)
    return kept, errors


ID_PREFIXES = ("in_", "ii_", "il_", "py_", "ch_", "pi_")


def _with_header(text: str) -> tuple[str, int]:
    """Give a bare list of ids (its first line an id) the header ``id``; return the text and the rows added."""
    first = text.lstrip().split("\n", 1)[0].split(",")[0].strip().strip('"')
    return (text, 0) if not first.startswith(ID_PREFIXES) else ("id\n" + text, 1)


def import_exclusions(text: str, filename: str = "<import>") -> tuple[list[data.Directive], list[ImportProblem]]:
    """Read an exclusion-import CSV of ids.

    Args:
        text: The CSV's text: a header (``id`` or ``transaction_id``), then one id a row; or just the ids.
        filename: Its name, for errors and metadata.

    Returns:
        One ``exclude`` rule per distinct id, and the errors of the rows left out.
    """
    headed, added = _with_header(text)
    records, errors = _reader(headed, filename, ())
    entries: list[data.Directive] = []
    seen: set[str] = set()
    for line_number, record in records:
        number = line_number - added
        column = next((name for name in ("id", "transaction_id") if name in record), next(iter(record), ""))
        value = (record.get(column) or "").strip()
        if not value:
            errors.append(ImportProblem(filename, number, "no id"))
        elif value not in seen:
            seen.add(value)
            entries.append(_rule(f"exclude-{value}", value, "exclude", _meta(filename, number)))
    return entries, errors

