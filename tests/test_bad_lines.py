"""One bad line never disables the plugin (issue 13): an error at its own line, and everything else generates.

Dates beyond Beancount's calendar (0001-01-01 to 9999-12-31), durations of no time or of more than the
calendar holds, amounts longer than exact decimal arithmetic holds, a close on the calendar's last day, a
``revrec-kind`` transaction without ``revrec-key``, a failure inside the plugin: each is a Beancount error
at the offending file:line, and the good invoice beside it keeps its exact schedule (SPEC 4.1).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from beancount.core.data import Transaction

from beancount_revrec import engine
from tests.conftest import lineno, load_text, run_tool
from tests.test_errors import GOOD, HEADER, assert_good_invoice_still_works, assert_located_error, generated

D = Decimal


def invoice(day: str, *meta: str, amount: str = "40.00") -> str:
    """An invoice ``in_bad`` dated ``day`` whose revenue posting (line il_bad) carries ``meta``."""
    lines = "".join(f"    {item}\n" for item in meta)
    return (f'\n{day} * "Beta" "Far out"\n  invoice: "in_bad"\n  Assets:AccountsReceivable   {amount} USD\n'
            f'  Income:Sales  -{amount} USD\n    line: "il_bad"\n{lines}')


BAD_LINES = [
    pytest.param(invoice("2022-03-01", 'revrec: "defer 9000 years"'), "Income:Sales  -40.00 USD",
                 ('treatment "defer 9000 years"', "2022-03-01 + 108000 months is outside the calendar",
                  "the line stays as booked"), id="defer-9000-years"),
    pytest.param(invoice("2022-03-01", 'revrec: "defer 99999999999 days"'), "Income:Sales  -40.00 USD",
                 ('duration "99999999999 days" is longer than the calendar', "at most 9999 years"),
                 id="defer-99999999999-days"),
    pytest.param(invoice("2022-03-01", 'revrec: "amortize 1 day from 9999-12-31"'), "Income:Sales  -40.00 USD",
                 ("9999-12-31 + 1 days is outside the calendar Beancount can date",), id="amortize-from-9999-12-31"),
    pytest.param(invoice("9999-12-01", "service-start: 9999-12-01", "service-end: 9999-12-31"),
                 "Income:Sales  -40.00 USD", ('treatment "ratable"', "outside the calendar"), id="service-in-dec-9999"),
    pytest.param(invoice("9999-06-01", 'revrec: "fulfillment"'), "Income:Sales  -40.00 USD",
                 ('treatment "fulfillment"', "9999-06-01 + 12 months is outside the calendar"),
                 id="fulfillment-invoiced-9999-06-01"),
    pytest.param(invoice("2022-03-01", 'revrec: "amortize 0 months"'), "Income:Sales  -40.00 USD",
                 ('"amortize" over no time', 'write "immediate"'), id="amortize-0-months"),
    pytest.param(invoice("2022-03-01", 'revrec: "defer 0 days"'), "Income:Sales  -40.00 USD",
                 ('"defer" of no time from the invoice', 'write "immediate"'), id="defer-0-days"),
    pytest.param(invoice("2022-03-01", amount="1234567890123456789012345678.00"),
                 "Income:Sales  -1234567890123456789012345678.00 USD",
                 ("amount -1234567890123456789012345678 has 28 digits", "exactly only up to 24 digits"),
                 id="amount-of-28-digits"),
    pytest.param('\n2022-01-01 custom "revrec-contract" "ct_1"\n\n2022-01-01 custom "revrec-item" "ct_1" 120.00 USD\n'
                 '  item: "i"\n  account: Income:Sales\n  service-start: 2022-01-01\n  service-end: 2023-01-01\n'
                 '\n2022-01-01 custom "revrec-billing" "ct_1" 120.00 USD\n  every: "month"\n  until: 9999-12-31\n',
                 'custom "revrec-billing"', ("revrec-billing until 9999-12-31", "outside the calendar",
                                            "the schedule bills nothing"), id="billing-until-9999-12-31"),
    pytest.param('\n9999-12-31 custom "revrec-close"\n', 'custom "revrec-close"',
                 ("books cannot be closed through 9999-12-31", "close through an earlier date"), id="close-9999-12-31"),
    pytest.param('\n2022-02-01 * "Hand" "Looks generated"\n  revrec-kind: "recognition"\n'
                 "  Assets:AccountsReceivable   1.00 USD\n  Income:Sales  -1.00 USD\n", '"Looks generated"',
                 ("revrec-kind but no revrec-key", "remove revrec-kind: from your own transaction"),
                 id="revrec-kind-without-key"),
]


@pytest.mark.parametrize(("bad", "needle", "words"), BAD_LINES)
def test_a_bad_line_is_an_error_at_its_line_and_the_rest_generates(tmp_path: Path, bad: str, needle: str,
                                                                   words: tuple[str, ...]):
    text = HEADER + GOOD + bad
    loaded = load_text(tmp_path, text)
    assert_located_error(loaded, lineno(text, needle), *words)
    assert_good_invoice_still_works(loaded.entries)
    assert not [entry for entry in generated(loaded.entries) if entry.meta.get("invoice") == "in_bad"]


def test_bean_check_names_the_line(tmp_path: Path):
    text = HEADER + GOOD + invoice("2022-03-01", 'revrec: "defer 9000 years"')
    path = tmp_path / "books.beancount"
    path.write_text(text, encoding="utf-8")
    result = run_tool("bean-check", path)
    assert result.returncode == 1
    assert result.stderr.startswith(f'{path}:{lineno(text, "Income:Sales  -40.00 USD")}: treatment "defer 9000 years": ')
    assert "Traceback" not in result.stderr


def test_an_internal_failure_names_the_line_and_keeps_the_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # should a line still make the engine fail, the error is at that line, with the traceback for the report,
    # and every other line generates
    real = engine._treat_line  # noqa: SLF001 - the engine's one treatment step, made to fail

    def failing(line, *args, **options):
        if line.line_id == "il_bad":
            raise ZeroDivisionError("boom")
        return real(line, *args, **options)

    monkeypatch.setattr(engine, "_treat_line", failing)
    text = HEADER + GOOD + invoice("2022-03-01", "service-start: 2022-03-01", "service-end: 2022-04-01")
    loaded = load_text(tmp_path, text)
    [error] = loaded.errors
    assert (error.source["filename"], error.source["lineno"]) == (str(loaded.path),
                                                                 lineno(text, "Income:Sales  -40.00 USD"))
    assert error.message.startswith('beancount_revrec: internal error in treatment "ratable" '
                                    "(ZeroDivisionError('boom')); the line stays as booked")
    assert "Traceback (most recent call last)" in error.message
    assert 'raise ZeroDivisionError("boom")' in error.message
    assert_good_invoice_still_works(loaded.entries)


def test_non_utf8_bytes_and_a_config_error_still_name_the_plugin_line(tmp_path: Path):
    path = tmp_path / "books.beancount"
    path.write_bytes(b"; caf\xe9 (Latin-1)\n" + b'plugin "beancount_revrec" "{\'deferred\': 42}"\n'
                     + (HEADER.split("\n", 1)[1] + GOOD).encode())
    result = run_tool("bean-check", path)
    assert result.returncode == 1
    assert result.stderr.startswith(f'{path}:2: beancount_revrec: config key "deferred" must be an account name')
    assert "Traceback" not in result.stderr


def test_valid_far_dates_still_generate(tmp_path: Path):
    # the calendar's edges are errors only where a date would leave it: a year-long line in 9998 is fine
    text = HEADER + GOOD + invoice("9998-01-01", "service-start: 9998-01-01", "service-end: 9999-01-01")
    loaded = load_text(tmp_path, text)
    assert loaded.errors == []
    moves = [entry for entry in generated(loaded.entries, "in_bad") if isinstance(entry, Transaction)]
    assert len(moves) == 13  # the deferral and twelve month ends
    assert max(entry.date for entry in moves) == datetime.date(9998, 12, 31)


@pytest.mark.parametrize("problem", ['revrec: "fulfillment 0 days"', "service-start: 2022-03-01"])
def test_an_event_for_a_rejected_line_says_so(tmp_path: Path, problem: str):
    # the line's treatment (or its service period) is rejected: its event points at that error, not "unknown line"
    text = HEADER + GOOD + invoice("2022-03-01", problem) + '\n2022-04-01 custom "revrec-fulfill" "il_bad" 10.00 USD\n'
    loaded = load_text(tmp_path, text)
    line = lineno(text, "Income:Sales  -40.00 USD")
    assert_located_error(loaded, line, alone=False)
    assert_located_error(loaded, lineno(text, 'custom "revrec-fulfill"'), (
        f'revrec-fulfill: line "il_bad" was rejected (see the error at {loaded.path}:{line}), so it is not recognised '
        "on events: fix that line"), alone=False)
    assert len(loaded.errors) == 2


def test_the_closed_books_file_loads_on_its_own(tmp_path: Path):
    # checked alone (without the ledger that includes it), it gives Beancount's own errors, never a crash
    path = tmp_path / "books.beancount"
    path.write_text(HEADER + GOOD, encoding="utf-8")
    assert run_tool("bean-revrec", "close", path, "--through", "2022-01-31").returncode == 0
    result = run_tool("bean-check", tmp_path / "books.closed.beancount")
    assert "Traceback" not in result.stdout + result.stderr
    assert "Error applying plugin" not in result.stdout + result.stderr
    assert "Invalid reference to unknown account 'Income:Sales'" in result.stderr
