"""Section 2 of the benchmark: a pure amortisation workload against beancount-periodic's ``amortize``.

N annual amounts, each amortised in 12 equal monthly steps, once per side:

- revenue: invoices to ``Income:Sales`` with ``revrec: "amortize 12 months monthly"``, against
  ``amortize: "1 Year /Monthly"`` (beancount-periodic parks the amount in ``Equity:Received:Sales``);
- expenses: prepaid costs to ``Expenses:Software`` with the same two metadata, beancount-periodic's home
  ground (it parks the amount in ``Equity:Amortization:Software``, we in ``Assets:Prepaid``).

Both plugins' ledgers of a side hold the same transactions but for that one metadata line. Each ledger is
loaded by ``bench.measure`` (fresh processes, best of the runs); the ratio is beancount-periodic's plugin time
over ours (Beancount's timing log), so above 1 means we are faster.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

PLUGIN = "beancount_revrec"
PERIODIC = "beancount_periodic.amortize"
TARGET = 5.0  # on revenue: our plugin's time at most a fifth of beancount-periodic's


class Workload(NamedTuple):
    """One side's transactions, as text with ``{party}``, ``{number}`` and ``{amount}`` to fill in."""

    accounts: tuple[str, ...]  # opened in both ledgers
    equity: str  # where beancount-periodic parks the amount until amortised (opened in its ledger alone)
    header: str  # payee, narration and the transaction's metadata
    other: str  # the posting that bills or pays
    line: str  # the posting amortised (the plugin's metadata follows it)


_SIDES = {
    "revenue": Workload(("Assets:AccountsReceivable", "Income:Sales"), "Equity:Received:Sales",
                        '"Customer {party}" "Annual plan"\n  invoice: "in_{number}"\n',
                        "  Assets:AccountsReceivable  {amount} USD\n", "  Income:Sales  -{amount} USD\n"),
    "expenses": Workload(("Assets:Bank:Checking", "Assets:Prepaid", "Expenses:Software"),
                         "Equity:Amortization:Software", '"Vendor {party}" "Annual licence"\n',
                         "  Assets:Bank:Checking  -{amount} USD\n", "  Expenses:Software  {amount} USD\n"),
}
SIDES = tuple(_SIDES)


def amortisation_ledgers(invoices: int, folder: Path, side: str = "revenue") -> tuple[Path, Path]:
    """The same N amounts amortised monthly over 12 months, for each plugin: (ours, beancount-periodic's)."""
    workload = _SIDES[side]
    head = "".join(f"2020-01-01 open {account}\n" for account in workload.accounts)
    ours = [f'plugin "{PLUGIN}"\n' + head]
    theirs = [f'plugin "{PERIODIC}"\n{head}2020-01-01 open {workload.equity}\n']
    for number in range(invoices):
        day = f"2022-{number % 12 + 1:02d}-{number % 28 + 1:02d}"
        amount = f"{1200 + number % 1000}.00"
        entry = (f"\n{day} * " + workload.header.format(party=number % 97, number=number)
                 + workload.other.format(amount=amount) + workload.line.format(amount=amount))
        ours.append(entry + '    revrec: "amortize 12 months monthly"\n')
        theirs.append(entry + '    amortize: "1 Year /Monthly"\n')
    names = f"amortize-{invoices}-{side}-revrec.beancount", f"amortize-{invoices}-{side}-periodic.beancount"
    paths = folder / names[0], folder / names[1]
    for path, parts in zip(paths, (ours, theirs), strict=True):
        path.write_text("".join(parts), encoding="utf-8")
    return paths


def amortisation(invoices: int, folder: Path, measure: Callable[[Path], dict[str, Any]]) -> dict[str, Any]:
    """Each side's workload loaded under both plugins by ``measure``, with beancount-periodic's time over ours."""
    report: dict[str, Any] = {"invoices": invoices}
    for side in SIDES:
        rows = {}
        for name, path, op in zip(("revrec", "periodic"), amortisation_ledgers(invoices, folder, side),
                                  (PLUGIN, PERIODIC), strict=True):
            result = measure(path)
            rows[name] = {"total_ms": result["total"], "plugin_ms": result["ops"].get(op, 0.0),
                          "peak_mb": result["peak_mb"], "errors": result["errors"], "entries": result["entries"]}
        ours, theirs = rows["revrec"], rows["periodic"]
        report[side] = {**rows, "plugin_ratio": theirs["plugin_ms"] / max(ours["plugin_ms"], 1e-9),
                        "load_ratio": theirs["total_ms"] / max(ours["total_ms"], 1e-9)}
    return report


def format_amortisation(report: dict[str, Any]) -> list[str]:
    """Section 2 as text: each side's times, their ratios side by side."""
    out = [(f"2. Amortisation workload, {report['invoices']} invoices x 12 months (revenue), and as many prepaid "
            "costs (expenses: beancount-periodic's home ground)")]
    for side in SIDES:
        ours, theirs, row = report[side]["revrec"], report[side]["periodic"], report[side]
        target = f" (target >= {TARGET:.0f}x)" if side == "revenue" else ""
        out += [f"   {side}:",
                (f"     plugin: revrec {ours['plugin_ms']:.0f} ms, beancount-periodic {theirs['plugin_ms']:.0f} ms: "
                 f"{row['plugin_ratio']:.1f}x faster{target}"),
                (f"     whole load: revrec {ours['total_ms']:.0f} ms, beancount-periodic {theirs['total_ms']:.0f} ms: "
                 f"{row['load_ratio']:.2f}x"),
                f"     peak memory: revrec {ours['peak_mb']:.0f} MB, beancount-periodic {theirs['peak_mb']:.0f} MB"]
    ratios = ", ".join(f"{side} {report[side]['plugin_ratio']:.1f}x" for side in SIDES)
    return [*out, f"   plugin time, beancount-periodic over revrec: {ratios}"]
