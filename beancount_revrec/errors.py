"""The error type every part of beancount_revrec reports, and the guard that turns a failure into one."""

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
