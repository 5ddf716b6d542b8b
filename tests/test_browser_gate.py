"""The browser tests without a browser: skipped with the reason, or a failure with ``REVREC_REQUIRE_BROWSER=1``.

Each case runs pytest on one test of ``tests/test_fava_browser.py`` in a subprocess, with ``REVREC_CHROMIUM``
pointing at a file that does not exist (chromium itself may well be installed here).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

MISSING = "Debian's chromium is not installed: apt-get install chromium, or run .ci/run"


def run_browser_test(tmp_path: Path, *, require: str | None) -> subprocess.CompletedProcess[str]:
    """pytest on one browser test, as the README runs it, with chromium missing."""
    env = {name: value for name, value in os.environ.items()
           if name not in {"REVREC_REQUIRE_BROWSER", "PYTEST_ADDOPTS"}}
    env["REVREC_CHROMIUM"] = str(tmp_path / "no-chromium")
    if require is not None:
        env["REVREC_REQUIRE_BROWSER"] = require
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_fava_browser.py",
         "-k", "test_page_loads_without_errors"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120)


@pytest.mark.parametrize("require", [None, "0"])  # only "1" requires it
def test_a_missing_browser_skips_with_the_reason(tmp_path: Path, require: str | None) -> None:
    result = run_browser_test(tmp_path, require=require)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout, result.stdout
    # the summary line pytest prints with -ra (pyproject's addopts)
    reason = f"{MISSING}; set REVREC_REQUIRE_BROWSER=1 to make this a failure"
    assert re.search(rf"^SKIPPED \[1\] tests/test_fava_browser\.py:\d+: {re.escape(reason)}$", result.stdout,
                     re.MULTILINE), result.stdout


def test_a_missing_browser_fails_with_revrec_require_browser(tmp_path: Path) -> None:
    result = run_browser_test(tmp_path, require="1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 error" in result.stdout, result.stdout
    assert "ERROR at setup of test_page_loads_without_errors" in result.stdout, result.stdout
    assert f"{MISSING} (REVREC_REQUIRE_BROWSER=1 makes this a failure)" in result.stdout, result.stdout
    assert "skipped" not in result.stdout, result.stdout
