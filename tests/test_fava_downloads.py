"""The Revenue page's downloads and charts through Fava's test client, against ``bean-revrec --format csv``."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import LEDGERS, ok
from tests.test_fava import EXTENSION, PAGE, Fava, number, tables_of, with_extension


@pytest.fixture(scope="module")
def contracts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Fava, Path]:
    path = with_extension(tmp_path_factory.mktemp("downloads"), "contracts.beancount")
    return Fava(path), path


def download(fava: Fava, query: str) -> tuple[str, bytes, str]:
    """A download's content type, body and file name."""
    response = fava.client.get(f"/{fava.slug}/{PAGE}download{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    return response.headers["Content-Type"], response.data, disposition.split("=", 1)[1].strip('"')


def links(html: str) -> dict[tuple[str, str], tuple[str, str]]:
    """The page's download links: (table, format) -> (address, the command the title names)."""
    found = re.findall(r'<a href="([^"]*/download\?[^"]*)" data-remote download title="([^"]*)">', html)
    out = {}
    for href, title in found:
        address = href.replace("&amp;", "&")
        table, fmt = re.search(r"table=(\w+)", address)[1], re.search(r"format=(\w+)", address)[1]
        out[table, fmt] = address, title.split(" (")[0]
    return out


# (query of the page, table, the command line that prints the same CSV); LEDGER stands for the ledger's path
FILTERED = "?time=2022-03&revrec_by=contract"
CASES = [
    (FILTERED, "contracts", "contracts LEDGER --as-of 2022-03-31"),
    (FILTERED, "schedule", "schedule LEDGER --from 2022-03 --months 13 --by contract --top 10 --as-of 2022-03-31"),
    (FILTERED + "&revrec_top=1", "schedule",
     "schedule LEDGER --from 2022-03 --months 13 --by contract --top 1 --as-of 2022-03-31"),
    (FILTERED, "summary", "summary LEDGER --month 2022-03"),
    (FILTERED, "rollforward", "rollforward LEDGER --from 2022-03-01 --as-of 2022-03-31"),
    ("?time=2022-Q2&revrec_by=product", "schedule",
     "schedule LEDGER --from 2022-04 --months 15 --by product --top 10 --as-of 2022-06-30"),
    # without a filter: as of the last entry written; the ledger is younger than the page's twelve months
    ("", "schedule", "schedule LEDGER --from 2022-01 --months 19 --by account --top 10 --as-of 2022-07-05"),
    ("", "summary", "summary LEDGER --month 2022-07"),
    ("", "rollforward", "rollforward LEDGER --from 2022-01-01 --as-of 2022-07-05"),
]


@pytest.mark.parametrize(("query", "table", "command"), CASES)
def test_a_csv_download_is_what_the_command_prints(contracts: tuple[Fava, Path], query: str, table: str,
                                                   command: str) -> None:
    fava, path = contracts
    address, title = links(fava.page(query))[table, "csv"]
    args = [str(path) if word == "LEDGER" else word for word in command.split()]
    assert title == f"bean-revrec {' '.join(args)} --format csv"  # the link says which command it is
    content_type, body, name = download(fava, address.split("/download", 1)[1])
    assert content_type == "text/csv; charset=utf-8"
    assert name.startswith(table)
    assert name.endswith(".csv")
    cli = ok(*args, "--format", "csv")
    assert body.decode() == cli
    assert len(cli.splitlines()) > 1 or table == "rules"


def test_the_figures_of_a_download_are_the_pages(contracts: tuple[Fava, Path]) -> None:
    fava, _ = contracts
    html = fava.page(FILTERED)
    _, body, _ = download(fava, f"{FILTERED}&table=schedule&format=csv")
    shown = {(row["cells"][0], header.split(" ")[0]): number(cell)
             for table in tables_of(html, "revrec-waterfall")
             for header_row in [table["rows"][0]["cells"]]
             for row in table["rows"][1:] for header, cell in zip(header_row, row["cells"], strict=True)
             if cell and header.startswith("ct_")}
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert {(row["month"], row["contract"]): Decimal(row["revenue"]) for row in rows} == shown
    assert shown["2022-03", "ct_multi"] == Decimal("2000.00")


@pytest.mark.parametrize("table", ["contracts", "schedule", "rollforward"])
def test_an_xlsx_download_holds_the_csvs_cells_with_numbers_as_numbers(contracts: tuple[Fava, Path],
                                                                       table: str) -> None:
    fava, _ = contracts
    content_type, body, name = download(fava, f"?time=2022-Q2&table={table}&format=xlsx")
    assert content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert name == f"{table}-2022-06-30.xlsx"
    _, text, _ = download(fava, f"?time=2022-Q2&table={table}&format=csv")
    expected = list(csv.reader(io.StringIO(text.decode())))
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert cells[0] == expected[0]
    assert len(cells) == len(expected) > 1
    numbers = 0
    for got, want in zip(cells[1:], expected[1:], strict=True):
        for value, text_cell in zip(got, want, strict=True):
            if isinstance(value, int | float):
                assert Decimal(str(value)) == Decimal(text_cell), (value, text_cell)
                numbers += 1
            elif isinstance(value, datetime.datetime):
                assert value.date().isoformat() == text_cell
            else:
                assert (value or "") == text_cell
    assert numbers >= len(cells) - 1  # every row has its amounts (or counts) as numbers, not text


def test_the_rules_download(tmp_path: Path) -> None:
    path = with_extension(tmp_path, "rules-tax-and-fee.beancount")
    fava = Fava(path)
    address, title = links(fava.page())["rules", "csv"]
    as_of = title.split("--as-of ")[1].split(" ")[0]
    _, body, _ = download(fava, address.split("/download", 1)[1])
    assert body.decode() == ok("rules", path, "--as-of", as_of, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert [(row["rule"], int(row["matched"])) for row in rows] == [
        (rule["rule"], rule["matched"]) for rule in json.loads(ok("rules", path, "--format", "json"))]
    _, book, _ = download(fava, "?table=rules&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(book)).active
    matched = next(sheet.iter_rows(max_row=1, values_only=True)).index("matched")
    assert [row[matched] for row in sheet.iter_rows(min_row=2, values_only=True)] == [int(row["matched"]) for row in rows]


def test_the_corrections_of_a_closed_ledger_download(tmp_path: Path) -> None:
    for name in ("example-8.1.beancount", "example-8.1.closed.beancount"):
        (tmp_path / name).write_text((LEDGERS / name).read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "example-8.1.beancount"
    path.write_text(path.read_text(encoding="utf-8") + EXTENSION, encoding="utf-8")
    fava = Fava(path)
    _, body, _ = download(fava, "?table=corrections&format=csv")
    assert body.decode() == ok("corrections", path, "--format", "csv")
    assert len(body.decode().splitlines()) == 1 + 6


@pytest.mark.parametrize(("query", "message"), [
    ("?table=journal&format=csv", "NAME is one of summary, contracts, schedule, rollforward, corrections, rules"),
    ("?table=rules&format=pdf", "FORMAT one of csv, xlsx"),
])
def test_a_bad_download_says_what_to_ask_for(contracts: tuple[Fava, Path], query: str, message: str) -> None:
    fava, _ = contracts
    response = fava.client.get(f"/{fava.slug}/{PAGE}download{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def chart_json(html: str, box: str) -> list[dict]:
    """The JSON of the charts in the page's box of class ``box``."""
    part = html.split(f'class="{box}"', 1)[1]
    return json.loads(part.split('<script type="application/json">', 1)[1].split("</script>", 1)[0])


def test_the_chart_series_and_legend_are_the_breakdowns_groups(contracts: tuple[Fava, Path]) -> None:
    fava, _ = contracts
    html = fava.page(FILTERED)
    legend = re.findall(r'class="revrec-legend-group" data-index="(\d+)"><i></i>([^<]+)</span>', html)
    assert legend == [("0", "ct_arrears"), ("1", "ct_multi")]
    assert "scheduled: after 2022-03-31" in html
    (chart,) = chart_json(html, "revrec-chart")
    table = tables_of(html, "revrec-waterfall")[0]["rows"]
    assert [point["date"][:7] for point in chart["data"]] == [row["cells"][0] for row in table[1:]]
    for point, row in zip(chart["data"], table[1:], strict=True):
        assert {group: Decimal(str(amount["USD"])) for group, amount in point["account_balances"].items()} == {
            group: number(cell) for group, cell in zip(["ct_arrears", "ct_multi"], row["cells"][2:4], strict=True)
            if cell}
    flags = json.loads(html.split('data-scheduled="', 1)[1].split('"', 1)[0])
    assert flags == [row["cells"][1] == "scheduled" for row in table[1:]]
    assert flags[:2] == [False, True]


def test_the_balances_chart_draws_the_rollforwards_closing_balances(contracts: tuple[Fava, Path]) -> None:
    fava, _ = contracts
    html = fava.page("?time=2022")
    (chart,) = chart_json(html, "revrec-chart revrec-balances")
    assert chart["type"] == "balances"
    lines: dict[str, list[Decimal]] = {}
    for point in chart["data"]:
        for name, value in point["balance"].items():
            lines.setdefault(name, []).append(Decimal(str(value)))
    tables = {table["account"]: [number(row["cells"][-1]) for row in table["rows"][1:]]
              for table in tables_of(html, "revrec-rollforward")}
    assert lines == tables
    assert [point["date"] for point in chart["data"]][:2] == ["2022-01-31", "2022-02-28"]
    assert lines["Liabilities:DeferredRevenue (USD)"][-1] == 0


def test_without_a_filter_the_page_shows_the_twelve_months_through_the_as_of_date(tmp_path: Path) -> None:
    path = tmp_path / "example.beancount"
    path.write_text(ok("example", "--lines", "150", "--contracts", "2") + EXTENSION, encoding="utf-8")
    html = Fava(path).page()
    as_of = datetime.date.fromisoformat(html.split('id="revrec-as-of">')[1].split("<")[0])
    start = html.split('id="revrec-start">')[1].split("<")[0]
    month = as_of.year * 12 + as_of.month - 1 - 11
    assert start == f"{month // 12:04d}-{month % 12 + 1:02d}-01"
    assert tables_of(html, "revrec-waterfall")[0]["rows"][1]["cells"][0] == start[:7]
    roll = tables_of(html, "revrec-rollforward")[0]["rows"]
    assert roll[1]["cells"][0] == start[:7]
    assert len(roll) - 1 == 12
