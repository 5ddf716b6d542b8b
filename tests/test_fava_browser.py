"""The Fava Revenue page in a real browser: a real ``fava`` server, Debian's chromium driven by Playwright.

The ledger is ``ledgers/contracts.beancount`` with the extension enabled. What the page shows is compared
with ``bean-revrec contracts`` on the same ledger. A full-page screenshot goes to
``tests/artifacts/revenue-page.png`` (git-ignored) for a person to look at.

The browser is Debian's ``/usr/bin/chromium`` (else ``chromium`` on ``PATH``; ``REVREC_CHROMIUM=/path``
overrides both). Without it these tests are skipped, with the reason in pytest's summary, so that the README's
test command passes on a machine without chromium. ``REVREC_REQUIRE_BROWSER=1`` turns a missing browser into a
failure instead: ``.ci/run`` installs chromium and sets it. ``tests/test_browser_gate.py`` checks both.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, expect, sync_playwright

from tests.conftest import LEDGERS, ROOT, run_tool

CHROMIUM = "/usr/bin/chromium"  # Debian's; REVREC_CHROMIUM overrides it (tests/test_browser_gate.py)
NO_CHROMIUM = "Debian's chromium is not installed: apt-get install chromium, or run .ci/run"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
FAVA = Path(sys.executable).parent / "fava"
EXTENSION_LINE = '2022-01-01 custom "fava-extension" "fava_revrec"'
SCREENSHOT = ROOT / "tests" / "artifacts" / "revenue-page.png"
VIEWPORT = {"width": 1280, "height": 900}
STARTUP_SECONDS = 60
CONTRACT = "ct_multi"  # three items, one invoice for the year: TCV 16000.00 USD


class Fava(NamedTuple):
    """A running Fava server and the ledger it serves."""

    ledger: Path
    base: str  # http://127.0.0.1:PORT
    slug: str  # the ledger's slug in Fava's URLs (from its title)

    @property
    def revenue_url(self) -> str:
        """The Revenue page's address."""
        return f"{self.base}/{self.slug}/extension/FavaRevrec/"


def free_port() -> int:
    """A TCP port nothing listens on at the moment."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_slug(base: str, server: subprocess.Popen[bytes], log: Path) -> str:
    """Poll Fava until it answers; its root redirects to ``/<slug>/income_statement/``."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if server.poll() is not None:
            pytest.fail(f"fava exited with code {server.returncode} before answering:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/", timeout=5) as response:  # noqa: S310 (http://127.0.0.1 only)
                final = response.geturl()
                break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                pytest.fail(f"fava did not answer on {base} within {STARTUP_SECONDS} s:\n{log.read_text()}")
            time.sleep(0.2)
    path = final.removeprefix(base).strip("/").split("/")
    assert len(path) == 2, f"Fava's root redirected to {final}, not to /<slug>/income_statement/"
    assert path[1] == "income_statement", f"Fava's root redirected to {final}, not to /<slug>/income_statement/"
    return path[0]


def find_chromium() -> Path | None:
    """The browser to drive: ``REVREC_CHROMIUM`` if set, else Debian's, else ``chromium`` on ``PATH``."""
    override = os.environ.get("REVREC_CHROMIUM")
    for candidate in [override] if override else [CHROMIUM, shutil.which("chromium")]:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


@pytest.fixture(scope="module", autouse=True)
def chromium() -> Path:
    """The browser, looked for before Fava starts: without it, skip the module (fail if REVREC_REQUIRE_BROWSER=1)."""
    found = find_chromium()
    if found is None:
        if os.environ.get("REVREC_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{NO_CHROMIUM} (REVREC_REQUIRE_BROWSER=1 makes this a failure)", pytrace=False)
        pytest.skip(f"{NO_CHROMIUM}; set REVREC_REQUIRE_BROWSER=1 to make this a failure")
    return found


@pytest.fixture(scope="module")
def fava(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fava]:
    """``fava`` serving contracts.beancount, with the Revenue page enabled, on a free local port."""
    assert FAVA.exists(), f"no fava script next to the interpreter: {FAVA}"
    folder = tmp_path_factory.mktemp("fava")
    ledger = folder / "contracts.beancount"
    ledger.write_text((LEDGERS / "contracts.beancount").read_text() + f"\n{EXTENSION_LINE}\n")
    with serving(ledger) as server:
        yield server


@contextlib.contextmanager
def serving(ledger: Path) -> Iterator[Fava]:
    """``fava`` serving ``ledger`` on a free local port (its log next to the ledger), stopped on leaving."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = ledger.parent / "fava.log"
    with log.open("wb") as output:
        server = subprocess.Popen([str(FAVA), "--host", "127.0.0.1", "--port", str(port), str(ledger)],
                                  stdout=output, stderr=subprocess.STDOUT)
    try:
        yield Fava(ledger, base, wait_for_slug(base, server, log))
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    """Debian's headless chromium (Playwright's own browser download is not used)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Tab(NamedTuple):
    """A browser page and the console errors and uncaught exceptions it has produced so far."""

    page: Page
    errors: list[str]


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    """A fresh browser context and page that records console errors and page errors."""
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console.error: {message.text} ({message.location})")

    def on_page_error(error: Error) -> None:
        errors.append(f"uncaught: {error.message}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    try:
        yield Tab(page, errors)
    finally:
        context.close()


def open_revenue(tab: Tab, fava: Fava, query: str = "") -> Page:
    """Load the Revenue page (optionally with a query string) and wait until the chart is drawn."""
    response = tab.page.goto(fava.revenue_url + query)
    assert response is not None
    assert response.status == 200, f"{fava.revenue_url + query} answered {response.status}"
    tab.page.wait_for_load_state("networkidle")
    expect(tab.page.locator("#revrec-as-of")).to_be_visible()
    return tab.page


def metrics_row(page: Page, contract: str) -> dict[str, str]:
    """The metrics table's row of a contract, keyed by the column headings."""
    row: dict[str, str] = page.evaluate(
        """contract => {
            const table = document.querySelector('table.revrec-metrics');
            const heads = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
            const row = table.querySelector(`tbody tr[data-contract="${contract}"]`);
            if (!row) return null;
            const cells = [...row.querySelectorAll('td')].map(td => td.textContent.trim());
            return Object.fromEntries(heads.map((head, i) => [head, cells[i]]));
        }""",
        contract,
    )
    assert row, f"no metrics row for {contract}"
    return row


def cli_metrics(ledger: Path, contract: str, as_of: str) -> dict[str, str]:
    """``bean-revrec contracts --format json`` for one contract, as of a date."""
    result = run_tool("bean-revrec", "contracts", ledger, "--format", "json", "--as-of", as_of, "--contract", contract)
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    assert len(rows) == 1, rows
    return rows[0]


def amount(text: str) -> str:
    """A rendered amount without thousands separators (``16,000.00`` and ``16000.00`` are the same)."""
    return text.replace(",", "").replace("\u202f", "").replace("\xa0", "")


def png_size(path: Path) -> tuple[int, int]:
    """The width and height of a PNG file, from its IHDR chunk."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


CHART = '.revrec-chart[data-scheduled] svelte-component[type="charts"]'  # the waterfall's; the balances' follows
CHART_SVG = f"{CHART} .chart-wrapper svg"
BARS = f"{CHART_SVG} g.stacks rect"  # Fava's stacked bar chart: one rect per month and group


def test_page_loads_without_errors(tab: Tab, fava: Fava) -> None:
    page = open_revenue(tab, fava)
    expect(page.get_by_role("heading", name="Contract metrics")).to_be_visible()
    for heading in ("Revenue waterfall", "Deferred revenue, contract asset and unbilled revenue roll-forward", "Corrections", "Rules"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.locator(".revrec-problem")).to_have_count(0)
    # Fava's own frame is there: the page is inside the layout, its sidebar entry is the current one
    expect(page.get_by_placeholder("Time")).to_be_visible()
    current = page.locator("aside a.selected")
    expect(current).to_have_text("Revenue")
    expect(current).to_have_attribute("href", f"/{fava.slug}/extension/FavaRevrec/")
    # without a time filter the page is as of the last entry written (the CLI's default), and says so
    expect(page.locator("#revrec-as-of")).to_have_text("2022-07-05")
    expect(page.locator("#revrec-as-of-default")).to_be_visible()
    assert tab.errors == []


def test_metrics_row_shows_total_contract_value(tab: Tab, fava: Fava) -> None:
    page = open_revenue(tab, fava)
    row = page.locator(f'table.revrec-metrics tr[data-contract="{CONTRACT}"]')
    expect(row).to_have_count(1)
    tcv = row.locator("td.tcv")
    expect(tcv).to_be_visible()
    assert amount(tcv.inner_text().strip()) == "16000.00"
    # the whole row is what bean-revrec computes as of the page's date
    shown = metrics_row(page, CONTRACT)
    cli = cli_metrics(fava.ledger, CONTRACT, "2022-07-05")
    assert shown["Customer"] == cli["customer"] == "Globex"
    assert amount(shown["TCV"]) == cli["tcv"] == "16000.00"
    assert amount(shown["Revenue"]) == cli["revenue"] == "10000.00"
    assert amount(shown["Deferred"]) == cli["deferred"] == "6000.00"
    assert tab.errors == []


def test_chart_renders_bars(tab: Tab, fava: Fava) -> None:
    page = open_revenue(tab, fava)
    svg = page.locator(CHART_SVG)
    expect(svg).to_have_count(1)
    expect(svg).to_be_visible()
    box = svg.bounding_box()
    assert box is not None
    assert box["width"] > 500, box
    assert box["height"] > 150, box
    bars = page.locator(BARS)
    expect(bars.first).to_be_visible()
    heights = [float(bar.get_attribute("height") or 0) for bar in bars.all()]
    # 12 months of 2022, each with revenue: at least one bar of positive height per month
    assert sum(height > 0 for height in heights) >= 12, heights
    # the x axis names the months of the waterfall
    ticks = page.locator(f"{CHART_SVG} g.tick text").all_text_contents()
    assert "Jan 2022" in ticks, ticks
    assert "Dec 2022" in ticks, ticks
    assert tab.errors == []


def test_time_filter_sets_the_as_of_date(tab: Tab, fava: Fava) -> None:
    page = open_revenue(tab, fava)
    as_of = page.locator("#revrec-as-of")
    expect(as_of).to_have_text("2022-07-05")
    before = metrics_row(page, CONTRACT)

    time_filter = page.locator("header input[placeholder='Time']")
    time_filter.fill("2022-03")
    time_filter.press("Enter")
    expect(as_of).to_have_text("2022-03-31")
    assert "time=2022-03" in page.url, page.url
    page.wait_for_load_state("networkidle")

    after = metrics_row(page, CONTRACT)
    cli = cli_metrics(fava.ledger, CONTRACT, "2022-03-31")
    assert amount(after["TCV"]) == amount(before["TCV"]) == "16000.00"
    assert amount(before["Revenue"]) == "10000.00"
    assert amount(after["Revenue"]) == cli["revenue"] == "6500.00"
    assert amount(after["Deferred"]) == cli["deferred"] == "9500.00"
    # the waterfall starts with the filter's month; later months are scheduled, not recognised
    first = page.locator("table.revrec-waterfall tbody tr").first
    expect(first.locator("td").nth(0)).to_have_text("2022-03")
    expect(first.locator("td").nth(1)).to_have_text("recognised")
    expect(page.locator("table.revrec-waterfall tbody tr.scheduled").first).to_be_visible()
    expect(page.locator(BARS).first).to_be_visible()  # the chart is drawn again after Fava's in-page navigation
    assert tab.errors == []


def test_breakdown_after_time_filter_keeps_fava_layout(tab: Tab, fava: Fava) -> None:
    page = open_revenue(tab, fava)
    time_filter = page.locator("header input[placeholder='Time']")
    time_filter.fill("2022-03")
    time_filter.press("Enter")
    expect(page.locator("#revrec-as-of")).to_have_text("2022-03-31")
    with page.expect_navigation():
        page.select_option("select[name=revrec_by]", "contract")
    expect(page.locator("#revrec-as-of")).to_have_text("2022-03-31")
    expect(page.locator("table.revrec-waterfall thead")).to_contain_text(CONTRACT)
    assert "partial=" not in page.url, page.url
    expect(page.get_by_placeholder("Time")).to_be_visible(timeout=2_000)


def test_the_largest_groups_box_sums_the_rest_as_other(tab: Tab, fava: Fava) -> None:
    page = open_revenue(tab, fava, "?time=2022&revrec_by=contract")
    header = page.locator("table.revrec-waterfall thead")
    expect(header).to_contain_text(CONTRACT)
    totals = page.locator("table.revrec-waterfall tbody td.total").all_inner_texts()
    with page.expect_navigation():
        page.fill("input[name=revrec_top]", "1")
        page.press("input[name=revrec_top]", "Enter")
    expect(header).to_contain_text("(other)")
    assert "revrec_top=1" in page.url, page.url
    expect(page.locator("select[name=revrec_by]")).to_have_value("contract")
    assert page.locator("table.revrec-waterfall tbody td.total").all_inner_texts() == totals
    assert len(totals) == 12  # the months of 2022: both contracts end with the year
    assert tab.errors == []


def test_chart_interval_does_not_overdraw_bars(tab: Tab, fava: Fava) -> None:
    page = open_revenue(tab, fava, "?interval=year")
    expect(page.locator(BARS).first).to_be_visible()
    positions: list[tuple[str | None, str | None]] = page.evaluate(
        f"""() => [...document.querySelectorAll('{BARS}')]
            .filter(rect => Number(rect.getAttribute('height')) > 0)
            .map(rect => [rect.getAttribute('fill'), rect.getAttribute('x')])"""
    )
    assert positions
    overdrawn = len(positions) - len(set(map(tuple, positions)))
    assert overdrawn == 0, f"{overdrawn} bars drawn over another bar of the same group"


def test_full_page_screenshot(tab: Tab, fava: Fava) -> None:
    page = open_revenue(tab, fava)
    expect(page.locator(BARS).first).to_be_visible()
    # Fava scrolls its <article>, not the document: grow the viewport until the article needs no scrolling
    height = page.evaluate(
        "() => { const a = document.querySelector('article');"
        " return Math.ceil(a.getBoundingClientRect().top + a.scrollHeight); }"
    )
    assert height > VIEWPORT["height"], "the Revenue page should be longer than one screen"
    page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
    expect(page.locator(BARS).first).to_be_visible()
    page.wait_for_timeout(300)  # the chart re-lays out after the resize
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    width, shot_height = png_size(SCREENSHOT)
    assert width == VIEWPORT["width"]
    assert shot_height >= height
    expect(page.get_by_role("heading", name="Rules")).to_be_in_viewport()  # the bottom of the page is in the shot
    assert tab.errors == []
