"""The metadata of what the plugin generates: every ``revrec-*`` name and the ``revrec-key`` format.

Every generated transaction carries ``revrec-kind`` (what it does) and
``revrec-key`` (which piece of which source it books), the rule that treated
its source (``revrec-rule``), a line's treatment (``revrec-treatment``, e.g.
``"fulfillment"``; not on a contract's entries) and the source's own attributes (``customer``,
``product``, ``invoice``, ``line``, ``contract``). A key is the source's key, a
slash, and the part::

    in_31/Income:Sales/deferral              a line's deferral
    in_31/Income:Sales/tax                   a reclass (tax, fee, passthrough, exclude)
    in_31/Income:Sales/unbilled              the reclass billing what was recognised before the line (catch-up off)
    cn_1/Income:Sales/contra                 a credit: deferred, contra (a refund), credit-note, dispute, write-off,
                                             void, other-loss, recoverables
    in_1/Income:Sales/void/void              an invoice's void (or uncollectible) of a line, as a credit
    in_1/Income:Sales/recovery/2022-04-01/recoverables   a payment of a written-off invoice
    in_31/Income:Sales/recognition/2022-01-31
    ct_1/platform/billing                    a recorded billing line of a contract
    ct_1/billing/USD/2022-01-01              a contract's billing schedule, per currency and date
    KEY/correction/2022-07-01                a correction of KEY, booked the day after the close

The builders below are the only place keys are written, ``parse_key`` the only
place they are read.
"""

from __future__ import annotations

import datetime
import re
from functools import lru_cache
from typing import Any, Literal, NamedTuple

KIND = "revrec-kind"
KEY = "revrec-key"
RULE = "revrec-rule"
TREATMENT = "revrec-treatment"
CORRECTS = "revrec-corrects"
FROZEN = "revrec-frozen"
RECOMPUTED = "revrec-recomputed"
CAUSE = "revrec-cause"
SIDE = "revrec-side"
"""``"expense"`` on what an expense line generates (prepaid expenses, contract costs); revenue's carry none."""
SOURCE_FIELDS = ("customer", "product", "invoice", "line", "contract")
"""The source's attributes a generated transaction repeats, for Fava's filters and bean-query."""

Kind = Literal["deferral", "reclass", "recognition", "billing", "correction"]
RECLASSES = ("tax", "fee", "passthrough", "exclude", "deferred", "contra", "credit-note", "dispute", "write-off",
             "void", "other-loss", "recoverables", "unbilled")

_KINDS: dict[str, Kind] = {"deferral": "deferral", "recognition": "recognition", "billing": "billing"}
_PART = re.compile(r"/(deferral|recognition/[\d-]+|billing(?:/[A-Z][A-Z0-9'._-]*/[\d-]+)?|" + "|".join(RECLASSES) + r")"
                   r"(/correction/[\d-]+)?$")


class Key(NamedTuple):
    """A ``revrec-key`` read back: its source, its part and, for a correction, the key it corrects."""

    source: str  # the line, contract item or contract
    part: str  # "deferral", "tax", "recognition/2022-01-31", "billing", "billing/USD/2022-01-01"
    corrects: str | None  # the corrected key, if this key is a correction's

    @property
    def kind(self) -> Kind | None:
        """The kind of entry the part books (a correction's: the kind it corrects); None for a foreign key."""
        head = self.part.split("/", 1)[0]
        return _KINDS.get(head, "reclass" if head in RECLASSES else None)


def deferral_key(source: str) -> str:
    """The key of a line's deferral."""
    return f"{source}/deferral"


def reclass_key(source: str, category: str) -> str:
    """The key of a line's reclass to ``category`` (tax, fee, ...)."""
    return f"{source}/{category}"


def recognition_key(source: str, day: datetime.date) -> str:
    """The key of what a line or contract item recognises on ``day``."""
    return source + _recognition_part(day)


@lru_cache(maxsize=4096)  # a ledger's recognition dates are few (mostly month ends); a date's text is slow to make
def _recognition_part(day: datetime.date) -> str:
    return f"/recognition/{day}"


def billing_key(source: str) -> str:
    """The key of a contract's recorded billing line."""
    return f"{source}/billing"


def scheduled_billing_key(contract: str, currency: str, day: datetime.date) -> str:
    """The key of a contract's scheduled billing on ``day`` in ``currency`` (its schedules' sum)."""
    return f"{contract}/billing/{currency}/{day}"


def correction_key(key: str, day: datetime.date) -> str:
    """The key of the correction of ``key`` booked on ``day``."""
    return f"{key}/correction/{day}"


def parse_key(key: str) -> Key:
    """A key's source, part and corrected key; a key the plugin did not write is its own source."""
    source, found, day = key.rpartition("/recognition/")  # most keys: read without the pattern
    if found and "/" not in day:
        return Key(source, key[len(source) + 1:], None)
    match = _PART.search(key)
    if match is None:
        return Key(key, "", None)
    source = key[:match.start()]
    corrected = key[:match.start(2)] if match.group(2) else None
    return Key(source, match.group(1), corrected)


def source_of(key: str) -> str:
    """The line, contract item or contract a ``revrec-key`` belongs to."""
    return parse_key(key).source


def is_generated(meta: dict[str, Any]) -> bool:
    """Whether a transaction's metadata marks it as generated by the plugin (or frozen from it)."""
    return KIND in meta


def corrected_key(meta: dict[str, Any]) -> str:
    """The key an entry counts for: a correction counts for the key it corrects."""
    return str(meta.get(CORRECTS, meta[KEY]))
