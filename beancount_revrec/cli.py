"""``bean-revrec``: the command line face of beancount_revrec.

Every command loads the ledger with Beancount (so the plugin runs), refuses a
ledger with errors with a one-line message, and prints a report.
"""

from __future__ import annotations

import datetime
import textwrap
import traceback
from typing import Any

import click

from beancount_revrec.cli_books import close, corrections, reopen
from beancount_revrec.cli_import import import_
from beancount_revrec.cli_support import (
    WARNINGS,
    as_of_date,
    as_of_option,
    echo_table,
    format_option,
    load,
    side_option,
    warn,
)
from beancount_revrec.config import Side
from beancount_revrec.contracts import CONTRACT_RULE
from beancount_revrec.errors import OutOfRangeError
from beancount_revrec.example import example_ledger
from beancount_revrec.output import TEXT, WIDTH, render, table
from beancount_revrec.reports import (
    DEFAULT_TOP,
    GROUPS,
    contract_metrics,
    month_start,
    month_text,
    months_after,
    period_end,
    pivot,
    revenue_by,
    rollforward,
    rule_usage,
)
from beancount_revrec.reports import explain as explain_lines
from beancount_revrec.reports.rows import Explained, MetricRow, WaterfallRow, shown_metrics
from beancount_revrec.reports.sides import SIDES, Words
from beancount_revrec.reports.summary import Summary, monthly_summary
from beancount_revrec.reports.tables import (
    metrics_table,
    rollforward_table,
    rules_table,
    summary_table,
    waterfall_table,
)

MONTH = click.DateTime(formats=["%Y-%m-%d", "%Y-%m"])


class _Commands(click.Group):
    """The commands, which never show a traceback: an unexpected failure is one ``Error:`` line too."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            done = super().invoke(ctx)
        except OutOfRangeError as exc:
            raise click.ClickException(str(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - one line, never a traceback
            where = "".join(traceback.format_exception(exc)[-2:]).strip().replace("\n", " ")
            raise click.ClickException(f"internal error {exc!r}; please report it with the ledger and this line: "
                                       f"{where}") from None
        for warning in ctx.meta.get(WARNINGS, ()):  # after the report: a failure stays one line
            click.echo(warning, err=True)
        return done


@click.group(cls=_Commands)
@click.version_option(package_name="beancount_revrec")
def main() -> None:
    """Revenue recognition for Beancount ledgers."""


@main.command()
@click.argument("ledger")
@click.argument("ident", metavar="ID")
@side_option
@format_option
def explain(ledger: str, ident: str, side: Side, fmt: str) -> None:
    """Explain a line: its rules, its treatment and every entry it generated.

    ID is a line id, an invoice id, a line key, a contract item (CONTRACT/ITEM) or any generated entry's
    revrec-key. It works on a ledger with errors: it is the tool to find out why.
    """
    loaded = load(ledger, allow_errors=True, side=side)
    rows = explain_lines(loaded.books, ident)
    if not rows:
        other: Side = "expense" if side == "revenue" else "revenue"
        hint = f": it is on the {other} side, add --side {other}" if explain_lines(
            loaded.books.for_side(other), ident) else ""
        raise click.ClickException(f'no line, invoice, contract item or revrec-key "{ident}" on the {side} side of '
                                   f"{ledger}{hint}")
    if loaded.errors:
        warn(f"Note: {ledger} has {len(loaded.errors)} error(s) (bean-check {ledger} lists them); what follows is "
             "what the plugin makes of it now.")
    if fmt == "json":
        click.echo(render(rows, [], fmt), nl=False)
    elif fmt == "csv":
        click.echo(render(_explain_flat(rows), ["line", "section", "name", "date", "detail", "amount"], fmt), nl=False)
    else:
        click.echo("\n".join(_explain_text(row, SIDES[side]) for row in rows), nl=False)


def _explain_flat(rows: list[Explained]) -> list[dict[str, Any]]:
    flat: list[dict[str, Any]] = []
    for row in rows:
        key = row.line
        flat.append({"line": key, "section": "source", "name": row.account, "date": row.date,
                     "detail": row.source, "amount": f"{row.amount} {row.currency}"})
        flat += [{"line": key, "section": "rule", "name": rule.rule, "detail": rule.verdict} for rule in row.rules]
        flat.append({"line": key, "section": "treatment", "name": row.rule, "detail": row.treatment})
        flat += [{"line": key, "section": "entry", "name": entry.kind, "date": entry.date, "detail": entry.key,
                  "amount": f"{entry.amount} {entry.currency}"} for entry in row.entries]
    return flat


def _explain_text(row: Explained, words: Words) -> str:
    attributes = ", ".join(f"{key} {value}" for key, value in row.attributes.items())
    treatment = f"{row.treatment}  (rule: {row.rule})" if row.treatment else row.status
    credit_text = "; ".join(f"{c.line} on {c.date}, {c.amount} {c.currency}" for c in row.credited_by)
    parts = [
        _wrapped(f"{row.kind.capitalize()} {row.line}"),
        f"  source {row.source}",  # FILE:LINE whole, however long: a path is one word
        _wrapped(f"{row.date}  {row.account}  {row.amount} {row.currency}", indent="  "),
        _wrapped(attributes, indent="  "),
        "",
        "Rules considered, in order:",
        table([[rule.rule, rule.verdict] for rule in row.rules], ["rule", "verdict"])
        if row.rules else f"  {_NO_RULES if row.rule != CONTRACT_RULE else _CONTRACT_RULES}\n",
        _wrapped(f"Treatment: {treatment}"),
        *([_wrapped(f"Credited by: {credit_text}")] if credit_text else []),
        "",
        "Generated entries:",
        table([[str(e.date), e.kind, f"{e.debit} / {e.credit}", f"{e.amount} {e.currency}"] for e in row.entries],
              ["date", "kind", "debit / credit", "amount"])
        if row.entries else f"  none: {words.done} as booked\n",
    ]
    return "\n".join(parts) + "\n"


_NO_RULES = "(the ledger has no revrec-rule)"
_CONTRACT_RULES = "(none: contract items and their billing follow the contract, not rules)"


def _wrapped(text: str, indent: str = "") -> str:
    return "\n".join(textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ",
                                   break_on_hyphens=False, break_long_words=False))


@main.command()
@click.argument("ledger")
@as_of_option
@side_option
@format_option
def rules(ledger: str, as_of: datetime.datetime | None, side: Side, fmt: str) -> None:
    """List the rules in priority order: match keys, treatment, lines matched, won and lost, the revenue governed.

    With --side expense, the rules of the expense lines and the cost they govern.
    """
    books = load(ledger, side=side).books
    rows = rule_usage(books, as_of_date(books, as_of))
    if not rows:
        raise click.ClickException(f"{ledger} has no revrec-rule{SIDES[side].where}")
    if fmt == "json":  # whole rows: what each rule governs as numbers and currencies
        click.echo(render(rows, [], fmt), nl=False)
        return
    if fmt != TEXT:
        echo_table(rules_table(rows), fmt)
        return
    shown = rules_table(rows).rows  # two tables: 80 columns hold either, not both
    click.echo(render(shown, ["rule", "match", "treatment", "effective"], fmt))
    click.echo(render(shown, ["rule", "matched", "won", "lost", "governs", "status"], fmt), nl=False)


@main.command()
@click.argument("ledger")
@as_of_option
@click.option("--contract", default=None, help="Only this contract.")
@format_option
def contracts(ledger: str, as_of: datetime.datetime | None, contract: str | None, fmt: str) -> None:
    """Contract metrics: TCV, ACV, billed, revenue, deferred, contract asset, future billings, unbilled, costs."""
    books = load(ledger).books
    day = as_of_date(books, as_of)
    if contract is not None and contract not in books.contracts.contracts:
        raise click.ClickException(f'no contract "{contract}" in {ledger}')
    rows = contract_metrics(books, day, contract)
    if not rows:
        raise click.ClickException(f"{ledger} has no revrec-contract with items")
    if fmt == TEXT:
        click.echo(f"Contract metrics as of {day}")
        click.echo(_metrics_table(rows), nl=False)
    else:
        echo_table(metrics_table(rows), fmt)


_METRIC_LABELS = {"tcv": "Total contract value", "acv": "Annual contract value", "billed": "Billing to date",
                  "revenue": "Revenue to date", "deferred": "Deferred revenue", "contract_asset": "Contract asset",
                  "future_billings": "Future scheduled billings", "unbilled_deferred": "Unbilled deferred revenue",
                  "cost": "Contract cost capitalised", "cost_amortised": "Contract cost amortised",
                  "cost_capitalised": "Contract cost still capitalised"}


def _metrics_table(rows: list[MetricRow]) -> str:
    """One block per contract and currency: an 80-column table cannot hold eleven columns.

    A contract's costs show when it has some (capitalised or amortised).
    """
    blocks = []
    for row in rows:
        cells = [[_METRIC_LABELS[key], f"{getattr(row, key)} {row.currency}"] for key in shown_metrics([row])]
        title = f"{row.contract} ({row.customer or 'no customer'}, {row.currency})"
        blocks.append(title + "\n" + table(cells, ["metric", "amount"]))
    return "\n".join(blocks)


@main.command()
@click.argument("ledger")
@click.option("--from", "start", type=MONTH, default=None,
              help="First month shown. Default: the month of the as-of date.")
@click.option("--months", default=12, show_default=True, type=click.IntRange(1, 600), help="Months shown.")
@click.option("--by", type=click.Choice(GROUPS), default="account", show_default=True,
              help="Break revenue down by revenue account, product, customer, contract, invoice or rule.")
@click.option("--top", default=DEFAULT_TOP, show_default=True, type=click.IntRange(0),
              help="Show the N groups with the most revenue over the months shown (per currency), the rest summed "
                   "as (other); 0 shows every group.")
@as_of_option
@side_option
@format_option
def schedule(ledger: str, start: datetime.datetime | None, months: int, by: str, top: int,
             as_of: datetime.datetime | None, side: Side, fmt: str) -> None:
    """The revenue waterfall: revenue recognised per month, and what is scheduled for later months.

    Months up to the as-of date's month are recognised; later months hold the
    recognition the plugin has already scheduled (beyond a booking horizon, what
    the engine schedules there). With --side expense: the expenses, expensed per
    month and scheduled.
    """
    books = load(ledger, side=side).books
    day = as_of_date(books, as_of)
    first = month_start(start.date() if start else day)
    rows = revenue_by(books, first, months_after(first, months), by, day, top)
    if fmt != TEXT:
        echo_table(waterfall_table(rows, by, side), fmt)
        return
    words = SIDES[side]
    click.echo(f"{words.title} by month and {by}, from {month_text(first)}; months after {month_text(day)} are "
               "scheduled")
    click.echo(_waterfall_table(rows) if rows else f"  no {words.amount} in these months\n", nl=False)


def _waterfall_table(rows: list[WaterfallRow]) -> str:
    table_of = pivot(rows)
    header = ["month", "status", *(f"{group} {currency}" for group, currency in table_of.columns),
              *(f"total {currency}" for currency in table_of.currencies)]
    return table([[month["month"], month["status"], *(str(month.get(key, "")) for key in table_of.columns),
                   *(str(month.get(currency, "")) for currency in table_of.currencies)]
                  for month in table_of.months], header)


@main.command(name="rollforward")
@click.argument("ledger")
@click.option("--from", "start", type=MONTH, default=None,
              help="First month. Default: twelve months before the as-of date's month (the Revenue page's "
                   "default), or the ledger's first transaction if later.")
@as_of_option
@side_option
@format_option
def roll_forward(ledger: str, start: datetime.datetime | None, as_of: datetime.datetime | None, side: Side,
                 fmt: str) -> None:
    """Deferred revenue, contract asset and unbilled revenue per month: opening, movements by kind, closing.

    Balances carry Beancount's signs, as Fava's balance sheet shows them (deferred revenue, a liability, is
    negative). The last month is the as-of date's, up to that date. With --side expense: prepaid expenses and
    capitalised contract costs, their columns opening, prepaid, expensed, corrections, other and closing.
    """
    books = load(ledger, side=side).books
    day = as_of_date(books, as_of)
    first = start.date() if start else books.default_start(day)
    shown = rollforward_table(rollforward(books.entries, books.rolled_forward, first, period_end(day)), side)
    if fmt != TEXT:
        echo_table(shown, fmt)
        return
    click.echo(render(shown.rows, [column for column in shown.columns if column != "currency"], fmt), nl=False)


@main.command()
@click.argument("ledger")
@click.option("--month", type=click.DateTime(formats=["%Y-%m"]), default=None,
              help="The month summarised (YYYY-MM). Default: the month of the default as-of date.")
@side_option
@format_option
def summary(ledger: str, month: datetime.datetime | None, side: Side, fmt: str) -> None:
    """The monthly summary: revenue by origin, contra revenue, deferred revenue and contract assets of one month.

    Revenue is the income statement's (a credit is positive); balances carry Beancount's signs, as Fava's
    balance sheet and the roll-forward show them (deferred revenue, a liability, is negative). With --side
    expense: what was expensed by origin (a cost is positive), prepaid expenses and capitalised contract costs.
    """
    books = load(ledger, side=side).books
    result = monthly_summary(books, month.date() if month else as_of_date(books, None))
    if fmt != TEXT:
        echo_table(summary_table(result), fmt)
    elif not result.currencies:
        click.echo(f"Monthly summary for {result.month}: {SIDES[side].nothing}")
    else:
        click.echo(f"Monthly summary for {result.month}")
        click.echo(_summary_tables(result), nl=False)


def _summary_tables(result: Summary) -> str:
    """One table per section with figures (``Summary.table``): a figure a row, a currency a column."""
    shown = result.table()
    return "\n".join(table([[figure.label, *map(str, amounts)] for figure, amounts in shown
                            if figure.section == section], [title, *result.currencies])
                     for section, title in result.sections.items()
                     if any(figure.section == section for figure, _ in shown))


main.add_command(close)
main.add_command(reopen)
main.add_command(corrections)
main.add_command(import_)


@main.command()
@click.option("--lines", default=1000, show_default=True, help="Number of invoice lines.")
@click.option("--contracts", "contract_count", default=10, show_default=True, help="Number of revenue contracts.")
@click.option("--seed", default=1, show_default=True, help="Random seed: the same seed writes the same ledger.")
@click.option("--years", default=2, show_default=True, help="Years of activity, from 2022-01-01.")
def example(lines: int, contract_count: int, seed: int, years: int) -> None:
    """Write a realistic synthetic SaaS ledger to standard output."""
    if lines < 1 or contract_count < 0 or years < 1:
        raise click.ClickException("--lines and --years must be at least 1, --contracts at least 0")
    click.echo(example_ledger(lines, contract_count, seed, years), nl=False)
