"""``bean-revrec example``: valid, deterministic synthetic ledgers."""

from __future__ import annotations

import pytest
from beancount import loader
from beancount.core.data import Custom, Transaction
from click.testing import CliRunner

from beancount_revrec.cli import main
from beancount_revrec.example import example_ledger
from tests.conftest import run_tool


@pytest.mark.parametrize(("lines", "contracts", "seed", "years"), [
    (200, 3, 1, 1), (400, 5, 2, 2), (300, 0, 3, 3), (50, 8, 4, 1),
])
def test_generated_ledger_passes_bean_check(tmp_path, lines: int, contracts: int, seed: int, years: int) -> None:
    path = tmp_path / "example.beancount"
    path.write_text(example_ledger(lines, contracts, seed, years), encoding="utf-8")
    result = run_tool("bean-check", path)
    assert result.returncode == 0, result.stdout + result.stderr
    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    sources = [e for e in entries if isinstance(e, Transaction) and e.narration.startswith("Invoice ")]
    assert sum(1 for entry in sources for p in entry.postings if p.account.startswith("Income:")) == lines
    kinds = {e.meta["revrec-kind"] for e in entries if isinstance(e, Transaction) and "revrec-kind" in e.meta}
    assert {"deferral", "recognition", "reclass"} <= kinds
    if contracts:
        assert "billing" in kinds
    customs = {e.type for e in entries if isinstance(e, Custom)}
    assert {"revrec-rule", "revrec-close"} <= customs
    # the frozen entries written with the close need no correction
    assert not any(e.meta.get("revrec-kind") == "correction" for e in entries if isinstance(e, Transaction))


def test_every_kind_of_source_is_generated() -> None:
    text = example_ledger(600, 6, 7, 2)
    for needle in ('custom "revrec-fulfill"', "credit-for:", 'contract: "ct_', 'custom "revrec-billing"',
                   'custom "revrec-item"', "service-start:", "#test", '"Payment of', "effective-until:"):
        assert needle in text, needle


def test_same_seed_same_ledger_and_other_seed_another() -> None:
    assert example_ledger(150, 2, 5, 1) == example_ledger(150, 2, 5, 1)
    assert example_ledger(150, 2, 5, 1) != example_ledger(150, 2, 6, 1)


def test_cli_writes_the_ledger_to_stdout() -> None:
    result = CliRunner().invoke(main, ["example", "--lines", "120", "--contracts", "2", "--seed", "9", "--years", "1"])
    assert result.exit_code == 0, result.output
    assert result.output == example_ledger(120, 2, 9, 1)
    _, errors, _ = loader.load_string(result.output)
    assert errors == []


def test_cli_rejects_bad_sizes() -> None:
    result = CliRunner().invoke(main, ["example", "--lines", "0"])
    assert result.exit_code != 0
    assert result.output.startswith("Error:")
