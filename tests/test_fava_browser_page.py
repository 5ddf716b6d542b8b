"""The Revenue page's charts, downloads and layout in a real browser (see ``test_fava_browser`` for the setup).

Screenshots of each width and theme go to ``tests/artifacts/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests import test_fava_browser as setup
from tests.conftest import LEDGERS, ROOT, run_tool
from tests.test_fava_browser import BARS, CHART_SVG, EXTENSION_LINE, Fava, serving

# the browser, and Fava serving contracts.beancount: test_fava_browser's fixtures (pytest knows them by name)
chromium, browser, fava = setup.chromium, setup.browser, setup.fava

ARTIFACTS = ROOT / "tests" / "artifacts"
STACKS = f"{CHART_SVG} g.stacks > a"


def open_page(browser: Browser, fava: Fava, query: str = "", width: int = 1280, scheme: str = "light") -> Page:
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme,  # type: ignore[arg-type]
                                  accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(error.message))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    response = page.goto(fava.revenue_url + query)
    assert response is not None
    assert response.status == 200
    page.wait_for_load_state("networkidle")
    expect(page.locator("#revrec-as-of")).to_be_visible()
    page.errors = errors  # type: ignore[attr-defined]
    return page


def test_the_legend_names_the_groups_in_the_colours_of_their_bars(browser: Browser, fava: Fava) -> None:
    page = open_page(browser, fava, "?revrec_by=contract")
    expect(page.locator(BARS).first).to_be_visible()
    legend = page.locator(".revrec-legend-group")
    expect(legend).to_have_text(["ct_arrears", "ct_multi"])
    colours: list[list[str]] = page.evaluate(
        f"""() => [...document.querySelectorAll('{STACKS}')].map(stack => [
                stack.querySelector('rect').getAttribute('fill'),
                getComputedStyle(stack.querySelector('rect')).fill])""")
    swatches = [legend.nth(index).locator("i").evaluate("i => getComputedStyle(i).backgroundColor")
                for index in range(2)]
    assert len(colours) == 2
    assert swatches == [computed for _, computed in colours]  # the first bar of each group: recognised, solid
    assert swatches[0] != swatches[1]
    expect(page.locator(".revrec-legend-scheduled")).to_have_text("scheduled: after 2022-07-05 (lighter, hatched)")
    # the balances: Fava's line chart, whose own legend names each account
    balances = page.locator(".revrec-balances")
    expect(balances.locator(".chart-wrapper svg g.lines path")).to_have_count(2)
    expect(balances.locator("button span")).to_contain_text(
        ["Assets:ContractAssets (USD)", "Liabilities:DeferredRevenue (USD)"])
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()


def test_the_scheduled_months_are_hatched(browser: Browser, fava: Fava) -> None:
    page = open_page(browser, fava, "?revrec_by=contract")
    page.wait_for_function(f"document.querySelectorAll('{BARS}.revrec-scheduled').length >= 10")
    bars: list[list[dict[str, Any]]] = page.evaluate(
        f"""() => [...document.querySelectorAll('{STACKS}')].map(stack => [...stack.querySelectorAll('rect')].map(
                rect => ({{hatched: rect.classList.contains('revrec-scheduled'), fill: getComputedStyle(rect).fill,
                          colour: rect.getAttribute('fill')}})))""")
    # as of 2022-07-05: January to July recognised, August to December scheduled, in every group's stack
    for stack in bars:
        assert [bar["hatched"] for bar in stack] == [False] * 7 + [True] * 5
        assert all(bar["fill"].startswith('url("#revrec-hatch-') for bar in stack[7:]), stack
        assert not any(bar["fill"].startswith("url(") for bar in stack[:7]), stack
    # the hatch of a group is drawn in the group's colour
    pattern = page.evaluate(
        f"""() => {{ const rect = document.querySelector('{STACKS} rect.revrec-scheduled');
                   const id = getComputedStyle(rect).fill.match(/#([^"]+)/)[1];
                   return [rect.getAttribute('fill'), document.getElementById(id).dataset.color]; }}""")
    assert pattern[0] == pattern[1]
    # the waterfall's table says the same months are scheduled
    statuses = page.locator("table.revrec-waterfall tbody tr.scheduled td:first-child").all_text_contents()
    assert statuses == ["2022-08", "2022-09", "2022-10", "2022-11", "2022-12"]
    page.context.close()


def test_a_download_link_returns_the_csv_the_command_line_prints(browser: Browser, fava: Fava) -> None:
    page = open_page(browser, fava, "?time=2022-03&revrec_by=contract")
    link = page.locator('.revrec-downloads[data-table="schedule"] a', has_text="CSV")
    with page.expect_download() as started:
        link.click()
    download = started.value
    assert download.suggested_filename == "schedule-2022-03-31.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    result = run_tool("bean-revrec", "schedule", fava.ledger, "--from", "2022-03", "--months", "13", "--by",
                      "contract", "--as-of", "2022-03-31", "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert text == result.stdout
    assert "2022-03,ct_multi,USD,2000.00,recognised" in text
    expect(page.locator("#revrec-as-of")).to_have_text("2022-03-31")  # the page stayed where it was
    page.context.close()


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fava]:
    """Fava serving example-8.1 with its closed books (corrections, a rule), on a free local port."""
    folder = tmp_path_factory.mktemp("closed")
    for name in ("example-8.1.beancount", "example-8.1.closed.beancount"):
        (folder / name).write_text((LEDGERS / name).read_text(encoding="utf-8"), encoding="utf-8")
    ledger = folder / "example-8.1.beancount"
    ledger.write_text(ledger.read_text(encoding="utf-8") + f"\n{EXTENSION_LINE}\n", encoding="utf-8")
    with serving(ledger) as server:
        yield server


@pytest.fixture(scope="module")
def household(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fava]:
    """Fava serving household.beancount: prepaid expenses only."""
    ledger = tmp_path_factory.mktemp("household") / "household.beancount"
    ledger.write_text((LEDGERS / "household.beancount").read_text(encoding="utf-8") + f"\n{EXTENSION_LINE}\n",
                      encoding="utf-8")
    with serving(ledger) as server:
        yield server


def test_the_expenses_section_renders_in_view_at_1024(browser: Browser, household: Fava) -> None:
    page = open_page(browser, household, "", 1024)
    heading = page.locator("#revrec-expenses")
    heading.scroll_into_view_if_needed()
    expect(heading).to_be_visible()
    table = page.locator("table.revrec-expense-rollforward")
    table.scroll_into_view_if_needed()
    expect(table).to_be_visible()
    expect(table.locator("td.closing")).to_have_text(["2335.00", "1306.00", "1419.11", "4419.11"])
    waterfall = page.locator("table.revrec-expense-waterfall")
    waterfall.scroll_into_view_if_needed()
    expect(waterfall).to_be_visible()
    expect(waterfall.locator("tbody tr.scheduled")).to_have_count(11)  # May 2024 to March 2025
    for box in (table.bounding_box(), waterfall.locator("td.total").first.bounding_box()):
        assert box is not None
        assert box["width"] > 0
        assert box["x"] + box["width"] <= 1024
    assert page.evaluate(OVERFLOWS) == []
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()


OVERFLOWS = """() => {
    const article = document.querySelector('article');
    const right = article.getBoundingClientRect().right;
    const boxes = [article, ...article.querySelectorAll('.revrec-scroll, .revrec-chart, table, p, h3, form')];
    return boxes.filter(box => box.scrollWidth > box.clientWidth + 1 || box.getBoundingClientRect().right > right + 1)
                .map(box => `${box.tagName}.${box.className}: ${box.scrollWidth} > ${box.clientWidth}`);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1024, 1400])
def test_nothing_is_cut_off(browser: Browser, fava: Fava, closed: Fava, width: int, scheme: str) -> None:
    for name, server, query in (("contracts", fava, "?revrec_by=contract"), ("closed", closed, "")):
        page = open_page(browser, server, query, width, scheme)
        if name == "contracts":
            expect(page.locator(BARS).first).to_be_visible()
        else:
            expect(page.locator("td.revrec-postings").first).to_be_visible()
        assert page.evaluate(OVERFLOWS) == []
        # the totals column of the waterfall and the postings of a correction are inside the page
        for cell in (page.locator("table.revrec-waterfall td.total").first, page.locator("td.revrec-postings").first):
            if cell.count():
                box = cell.bounding_box()
                assert box is not None
                assert box["x"] + box["width"] <= width
        # Fava's theme: dark text on light or light on dark, the tables' headers too
        colours = page.evaluate("""() => [getComputedStyle(document.body).backgroundColor,
                                          getComputedStyle(document.querySelector('thead th')).color]""")
        background = sum(int(part) for part in colours[0][4:-1].split(",")[:3])
        assert (background < 200) == (scheme == "dark"), colours
        height = page.evaluate("() => { const a = document.querySelector('article');"
                               " return Math.ceil(a.getBoundingClientRect().top + a.scrollHeight); }")
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(300)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"revenue-{name}-{width}-{scheme}.png"), full_page=True)
        assert page.errors == []  # type: ignore[attr-defined]
        page.context.close()


def test_a_long_table_scrolls_in_its_box_with_its_header_and_totals_in_view(browser: Browser, fava: Fava,
                                                                            closed: Fava) -> None:
    page = open_page(browser, closed, "", 1280, "light")
    page.set_viewport_size({"width": 1280, "height": 400})  # the corrections are taller than their box (75 %)
    box = page.locator(".revrec-scroll").filter(has=page.locator("table.revrec-corrections"))
    assert box.evaluate("box => box.scrollHeight > box.clientHeight + 100")
    box.evaluate("box => { box.scrollTop = box.scrollHeight; }")
    top = box.evaluate("box => box.getBoundingClientRect().top")
    assert abs(box.locator("thead th").first.evaluate("th => th.getBoundingClientRect().top") - top) <= 1
    page.context.close()
    page = open_page(browser, fava, "", 1280, "light")
    page.set_viewport_size({"width": 1280, "height": 120})  # the metrics' box is shorter than its three rows
    box = page.locator(".revrec-scroll").filter(has=page.locator("table.revrec-metrics"))
    assert box.evaluate("box => box.scrollHeight > box.clientHeight")
    bottom = box.evaluate("box => box.getBoundingClientRect().bottom")
    total = box.locator("tfoot td").first
    expect(total).to_have_text("Total")
    assert abs(total.evaluate("td => td.getBoundingClientRect().bottom") - bottom) <= 1  # the totals stay in view
    page.context.close()
