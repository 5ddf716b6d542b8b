"""The extension's configuration: the optional second value of its ``custom "fava-extension"`` line."""

from __future__ import annotations

import ast
from typing import NamedTuple

DEFAULT_MONTHS = 12


class Settings(NamedTuple):
    """The extension's configuration (the optional second value of its ``custom`` line)."""

    months: int = DEFAULT_MONTHS  # scheduled months the waterfall shows after the time filter


def read_settings(config: str | None) -> tuple[Settings, str | None]:
    """The settings a config string gives, or the defaults and what is wrong with it."""
    if not config:
        return Settings(), None
    example = "{'months': 24}"
    try:
        value = ast.literal_eval(config)
    except (SyntaxError, ValueError):
        return Settings(), f"the config {config!r} is not a Python dict literal such as {example}"
    if not isinstance(value, dict):
        return Settings(), f"the config {config!r} must be a dict such as {example}"
    unknown = sorted(set(value) - set(Settings._fields))
    if unknown:
        return Settings(), f"unknown config key {unknown[0]!r}; the only key is 'months', e.g. {example}"
    months = value.get("months", DEFAULT_MONTHS)
    if not isinstance(months, int) or isinstance(months, bool) or not 0 <= months <= 600:
        return Settings(), f"'months' must be a whole number of months from 0 to 600, got {months!r}"
    return Settings(months), None
