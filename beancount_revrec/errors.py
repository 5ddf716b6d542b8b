"""The error type every part of beancount_revrec reports, the problem its readers raise, and the guard.

One error style: a reader (``read_lines``, ``read_rules``, ``treat``...) returns
its records and a list of ``RevrecError``; the functions it calls raise
``Problem``, which the reader turns into a ``RevrecError`` at the directive's
file and line. ``guarded`` turns any other failure into one too.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T")


class RevrecError(NamedTuple):
    """A Beancount error: ``source`` is the offending directive's meta (file and line)."""

    source: dict[str, Any] | None
    message: str
    entry: Any = None


class Problem(ValueError):  # noqa: N818 - the ledger's problem, not the program's: readers report it as an error
    """What is wrong with a directive or a line, in words that say what to write instead.

    Raised by the functions a reader calls and caught by the reader, which reports it
    at the directive's file and line.
    """


class OutOfRangeError(ValueError):
    """A date beyond Beancount's calendar (0001-01-01 to 9999-12-31)."""


def guarded(
    source: dict[str, Any] | None, entry: object, what: str, outcome: str, call: Callable[[], T],
) -> T | RevrecError:
    """``call()``, or an error at ``source`` if it fails, so that one directive never stops the others.

    ``what`` names what was being done (e.g. 'treatment "ratable"'), ``outcome``
    what happens to the directive then (e.g. "the line stays as booked"). A date
    or amount out of range is the directive's own error; any other failure is an
    internal error that keeps its traceback for the report.
    """
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - one directive's failure must not stop the plugin
        return failure(source, entry, what, outcome, exc)


def failure(source: dict[str, Any] | None, entry: object, what: str, outcome: str, exc: Exception) -> RevrecError:
    """The error of a directive whose processing raised ``exc`` (called while it is handled: for its traceback)."""
    if isinstance(exc, OutOfRangeError):
        return RevrecError(source, f"{what}: {exc}; {outcome}", entry)
    trace = traceback.format_exc().rstrip()
    return RevrecError(source, f"beancount_revrec: internal error in {what} ({exc!r}); {outcome}. "
                               f"Please report it with this message:\n{trace}", entry)
