"""The error type every part of beancount_revrec reports."""

from __future__ import annotations

from typing import Any, NamedTuple


class RevrecError(NamedTuple):
    """A Beancount error: ``source`` is the offending directive's meta (file and line)."""

    source: dict[str, Any] | None
    message: str
    entry: Any = None
