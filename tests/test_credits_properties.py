"""Property tests for credits of every kind, voids, write-offs and recoveries (SPEC 6.4, issue 15).

A random line (an amount in a currency of 0 to 3 decimal places, a service period,
a daily, monthly or part-immediate treatment) gets random credits of every kind
(a dispute may take more than what is left of its line), then perhaps a void or a
write-off, and after a write-off perhaps payments. Loaded with the plugin under
both credit-split methods, the books must hold:

1. no error, and every generated transaction balances per currency;
2. deferred revenue ends at zero: everything deferred is recognised or credited;
3. each credit moves exactly its amount out of the revenue account, into deferred
   revenue, its kind's contra account and (a dispute's excess only) other-loss,
   none of them negative;
4. in proportion (the default), each credit's share off deferred revenue is the
   credit's fraction of what its line still stands at, applied to what the line
   still had deferred just before it, rounded half up; deferred-first takes
   all it can from deferred revenue;
5. the receivable ends at what was billed less the credits and less what a void
   or write-off closed; a write-off's payments come back to the receivable and
   split between the write-off's contra account (at most what it holds) and
   recoverables;
6. no contra account is ever credited below zero, and net revenue plus every
   contra, loss and gain account adds up to what the customer keeps paying.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from beancount import loader
from beancount.core.data import Transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

PLACES = {"JPY": 0, "USD": 2, "BHD": 3}
AR, CASH, SALES, DEFERRED = "Assets:AccountsReceivable", "Assets:Cash", "Income:Sales", "Liabilities:DeferredRevenue"
CONTRA = {"refund": "Income:Refunds", "credit-note": "Income:CreditNotes", "dispute": "Income:Disputes",
          "write-off": "Income:BadDebt", "void": "Income:Voids"}
OTHER_LOSS, RECOVERABLES = "Expenses:OtherLoss", "Income:Recoverables"
START = datetime.date(2021, 1, 1)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Credit(NamedTuple):
    day: datetime.date
    amount: Decimal
    kind: str


class Case(NamedTuple):
    currency: str
    amount: Decimal
    start: datetime.date
    end: datetime.date
    treatment: str
    credits: list[Credit]
    close: tuple[str, datetime.date] | None  # ("void" | "uncollectible", date)
    payments: list[tuple[datetime.date, Decimal]]  # after a write-off
    split: str


def unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-PLACES[currency])


@st.composite
def cases(draw: st.DrawFn) -> Case:
    currency = draw(st.sampled_from(sorted(PLACES)))
    amount = Decimal(draw(st.integers(1, 10**6))) * unit(currency)
    start = START + datetime.timedelta(days=draw(st.integers(0, 60)))
    end = start + datetime.timedelta(days=draw(st.integers(1, 400)))
    treatment = draw(st.sampled_from(["ratable", "ratable monthly", "70% ratable + 30% immediate"]))
    made, left, day = [], amount, start
    for _ in range(draw(st.integers(0, 3))):
        day += datetime.timedelta(days=draw(st.integers(0, 120)))
        kind = draw(st.sampled_from(sorted(CONTRA)))
        most = left * 2 if kind == "dispute" else left
        if most <= 0:
            break
        credit = Decimal(draw(st.integers(1, int(most / unit(currency))))) * unit(currency)
        made.append(Credit(day, credit, kind))
        left = max(left - credit, Decimal(0))
    close = None
    if left > 0 and draw(st.booleans()):
        close = (draw(st.sampled_from(["void", "uncollectible"])), day + datetime.timedelta(days=draw(st.integers(0, 90))))
    payments = []
    if close is not None and close[0] == "uncollectible" and draw(st.booleans()):
        paid = Decimal(draw(st.integers(1, int(left / unit(currency))))) * unit(currency)
        payments.append((close[1] + datetime.timedelta(days=draw(st.integers(1, 60))), paid))
    split = draw(st.sampled_from(["proportional", "deferred-first"]))
    return Case(currency, amount, start, end, treatment, made, close, payments, split)


def render(case: Case) -> str:
    config = {"credit-split": case.split, "precision": PLACES, "credit-note": CONTRA["credit-note"],
              "dispute": CONTRA["dispute"], "write-off": CONTRA["write-off"], "void": CONTRA["void"]}
    line = (f'{case.start} * "Acme" "Plan"\n  invoice: "in_1"\n  {AR}  {case.amount} {case.currency}\n'
            f'  {SALES}  {-case.amount} {case.currency}\n    line: "il_1"\n    service-start: {case.start}\n'
            f'    service-end: {case.end}\n    revrec: "{case.treatment}"')
    text = [f'plugin "beancount_revrec" "{config!r}"', *(f"2020-01-01 open {account}" for account in (AR, CASH, SALES)),
            line]
    for number, credit in enumerate(case.credits):
        text.append(f'{credit.day} * "Acme" "Credit {number}"\n  invoice: "cn_{number}"\n'
                    f'  {AR}  {-credit.amount} {case.currency}\n  {SALES}  {credit.amount} {case.currency}\n'
                    f'    credit-for: "il_1"\n    credit-kind: "{credit.kind}"')
    if case.close is not None:
        text.append(f'{case.close[1]} custom "revrec-{case.close[0]}" "in_1"')
    for day, paid in case.payments:
        text.append(f'{day} * "Acme" "Payment"\n  invoice: "in_1"\n  {CASH}  {paid} {case.currency}\n'
                    f'  {AR}  {-paid} {case.currency}')
    return "\n\n".join(text) + "\n"


def generated(entries: list[Any]) -> list[Transaction]:
    return [entry for entry in entries if isinstance(entry, Transaction) and "revrec" in entry.tags]


def balances(entries: list[Any]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, Transaction):
            for posting in entry.postings:
                sums[posting.account] += posting.units.number
    return sums


def deferred_before(made: list[Transaction], day: datetime.date, number: int) -> Decimal:
    """What the line still has deferred when credit ``number`` applies: its own entries on or before the credit's
    day (a piece dated on it is recognised), and the earlier credits'; not this credit's, later ones', a void's."""
    def counts(entry: Transaction) -> bool:
        invoice = str(entry.meta.get("invoice"))
        if invoice.startswith("cn_"):
            return entry.date < day or int(invoice[3:]) < number
        return entry.date <= day and "/recovery/" not in entry.meta["revrec-key"] and not (
            entry.date == day and entry.meta["revrec-key"].split("/")[1] in {"void", "uncollectible"})
    return -balances([entry for entry in made if counts(entry)])[DEFERRED]


def credit_moves(entries: list[Transaction], number: int) -> dict[str, Decimal]:
    """What the generated entries of credit ``cn_NUMBER`` post, per account."""
    moves: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if entry.meta.get("invoice") == f"cn_{number}":
            for posting in entry.postings:
                moves[posting.account] += posting.units.number
    return moves


def half_up(value: Decimal, currency: str) -> Decimal:
    return value.quantize(unit(currency), rounding=ROUND_HALF_UP)


STRIPE_5_6A = Case("USD", Decimal("90.00"), datetime.date(2021, 1, 1), datetime.date(2021, 4, 1), "ratable", [],
                   ("uncollectible", datetime.date(2021, 2, 1)), [(datetime.date(2021, 4, 1), Decimal("90.00"))],
                   "proportional")
"""Stripe's uncollectible invoice later paid (examples/contra): 31.00 back from bad debt, 59.00 recovered."""


@PROPERTY
@given(cases())
@example(STRIPE_5_6A)
def test_credits_voids_write_offs_and_recoveries_are_exact(case: Case) -> None:
    entries, errors, _ = loader.load_string(render(case))
    assert errors == []
    made = generated(entries)
    for entry in made:
        assert sum(posting.units.number for posting in entry.postings) == 0, entry
    final = balances(entries)
    assert final[DEFERRED] == 0
    standing = case.amount
    for number, credit in enumerate(case.credits):
        moves = credit_moves(made, number)
        assert moves[SALES] == -credit.amount
        on_line = min(credit.amount, standing)
        off_deferred, contra = moves[DEFERRED], moves[CONTRA[credit.kind]]
        assert off_deferred >= 0
        assert contra >= 0
        assert moves[OTHER_LOSS] == credit.amount - on_line
        assert off_deferred + contra == on_line
        still_deferred = deferred_before(made, credit.day, number)
        if case.split == "proportional" and standing:
            assert off_deferred == half_up(still_deferred * on_line / standing, case.currency)
        else:
            assert off_deferred == min(on_line, still_deferred)
        standing -= on_line
    credited = case.amount - standing
    left = standing if case.close is not None else Decimal(0)
    assert final[AR] == case.amount - sum(credit.amount for credit in case.credits) - left
    paid = sum(amount for _, amount in case.payments)
    assert final[CASH] == paid
    if case.close is not None:  # what the void or write-off put in its contra account, then what payments took back
        written = CONTRA["void" if case.close[0] == "void" else "write-off"]
        held = sum(posting.units.number for entry in made if entry.meta["revrec-key"].split("/")[1] in {
            "void", "uncollectible"} for posting in entry.postings if posting.account == written)
        by_credits = sum((credit_moves(made, number)[written] for number in range(len(case.credits))), Decimal(0))
        back = min(paid, held)
        assert (final[written] - by_credits, final[RECOVERABLES]) == (held - back, back - paid)
    # what the customer keeps paying: billed less credited (on the line) less closed, plus recoveries
    kept = -(final[SALES] + sum(final[account] for account in CONTRA.values()) + final[RECOVERABLES])
    assert kept == case.amount - credited - left + paid
    assert all(final[account] >= 0 for account in CONTRA.values())
