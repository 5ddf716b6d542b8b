"""The plugin configuration of SPEC section 2."""

from __future__ import annotations

import ast
import datetime
import re
from typing import Any, Final, Literal, NamedTuple, get_args

from beancount.core import account as account_lib


class Config(NamedTuple):
    """Where the plugin finds lines and posts what it generates."""

    revenue: tuple[str, ...]
    deferred: str = "Liabilities:DeferredRevenue"
    contract_asset: str = "Assets:ContractAssets"
    receivable: str = "Assets:AccountsReceivable"
    unbilled: str = "Assets:UnbilledReceivables"  # revenue recognised before its invoice, with catch-up off
    catch_up: CatchUp = "on"  # "off": service before the invoice is recognised in its own months
    tax: str = "Liabilities:TaxLiability"
    fee: str = "Income:Fees"
    passthrough: str = "Liabilities:PassthroughFees"
    exclude: str = "Equity:RevRec:Exclusions"
    contra: str = "Income:Refunds"  # the contra account of refunds, and of every kind without its own
    credit_note: str | None = None
    dispute: str | None = None
    write_off: str | None = None
    void: str | None = None
    other_loss: str = "Expenses:OtherLoss"  # what a dispute takes beyond what is left of its line
    recoverables: str = "Income:Recoverables"  # what a written-off invoice receives beyond its contra revenue
    credit_split: CreditSplit = "proportional"
    precision: dict[str, int] = {}  # noqa: RUF012 - never mutated
    book_until: Horizon = None  # the booking horizon: nothing generated after it is booked (corrections are)

    def own_accounts(self) -> tuple[str, ...]:
        """The accounts of the configuration the plugin posts to (never the revenue accounts, which are the user's)."""
        return tuple(dict.fromkeys(self.reclass_account(key) for key in ACCOUNT_KEYS))

    def reclass_account(self, category: str) -> str:
        """The account of a reclass ``category``: ``tax``, ``fee``... or a credit's (``contra``, ``credit_note``...).

        A kind of credit without an account of its own goes to ``contra``.
        """
        return str(getattr(self, category.replace("-", "_")) or self.contra)


CreditSplit = Literal["proportional", "deferred-first"]
CatchUp = Literal["on", "off"]
LAST_ENTRY: Final = "last-entry"
Horizon = datetime.date | Literal["last-entry"] | None
"""``book-until``: a date, ``"last-entry"`` (the date of the last entry the user wrote) or None (book everything)."""
ACCOUNT_KEYS = ("deferred", "contract-asset", "receivable", "unbilled", "tax", "fee",
                "passthrough", "exclude", "contra", "credit-note", "dispute", "write-off", "void",
                "other-loss", "recoverables")
CHOICES: dict[str, tuple[str, ...]] = {"credit-split": get_args(CreditSplit), "catch-up": get_args(CatchUp)}
"""The keys whose value is one of a few words."""
KEYS = ("revenue", *ACCOUNT_KEYS, *CHOICES, "precision", "book-until")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Parsed(NamedTuple):
    """A parsed plugin config: with any ``problems`` nothing should be generated; ``warnings`` leave it usable."""

    config: Config
    problems: list[str]
    warnings: list[str]  # a bad book-until: the config applies without a horizon


def parse_config(text: str | None, options_map: dict[str, Any]) -> Parsed:
    """Parse the plugin's config string (a Python literal dict).

    Args:
        text: the string after the plugin name, or None.
        options_map: the ledger's options, for its account root names.

    Returns:
        The configuration, a list of problems and a list of warnings. With any
        problem the defaults are returned and the caller should not generate
        anything; a warning (a bad ``book-until``) leaves the rest of the
        configuration in force, without a horizon.
    """
    roots = tuple(options_map.get(f"name_{kind}", kind.title())
                  for kind in ("assets", "liabilities", "equity", "income", "expenses"))
    default = Config(revenue=(roots[3],))
    if text is None or not text.strip():
        return Parsed(default, [], [])
    try:
        raw = ast.literal_eval(text)
    except (ValueError, SyntaxError) as exc:
        return Parsed(default, [(f"plugin config is not a Python literal dict ({exc.__class__.__name__}): "
                                 "write e.g. \"{'deferred': 'Liabilities:DeferredRevenue'}\"")], [])
    if not isinstance(raw, dict):
        return Parsed(default, ["plugin config must be a dict, e.g. \"{'deferred': 'Liabilities:DeferredRevenue'}\""],
                      [])
    problems = [f'unknown config key "{key}": use one of {", ".join(KEYS)}'
                for key in raw if key not in KEYS]
    values = _values(raw, roots, problems)
    if problems:
        return Parsed(default, problems, [])
    warnings: list[str] = []
    if "book-until" in raw:
        values["book_until"] = _horizon(raw["book-until"], warnings)
    return Parsed(default._replace(**values), [], warnings)


def _values(raw: dict[Any, Any], roots: tuple[str, ...], problems: list[str]) -> dict[str, Any]:
    """The Config fields the known keys of ``raw`` set; what is wrong with them goes to ``problems``."""
    values: dict[str, Any] = {}
    for key in ACCOUNT_KEYS:
        if key in raw:
            values[key.replace("-", "_")] = _account(key, raw[key], roots, problems)
    if "revenue" in raw:
        value = raw["revenue"]
        accounts = [value] if isinstance(value, str) else value
        if not isinstance(accounts, list | tuple) or not accounts:
            problems.append('config key "revenue" must be an account or a list of accounts')
        else:
            values["revenue"] = tuple(_account("revenue", acc, roots, problems) for acc in accounts)
    for key, words in CHOICES.items():
        if key in raw and raw[key] not in words:
            problems.append(f'config key "{key}" must be one of {", ".join(map(repr, words))}, got {raw[key]!r}')
        elif key in raw:
            values[key.replace("-", "_")] = raw[key]
    if "precision" in raw:
        values["precision"] = _precision(raw["precision"], problems)
    return values


def _account(key: str, value: object, roots: tuple[str, ...], problems: list[str]) -> str:
    if not isinstance(value, str) or not account_lib.is_valid(value) or value.split(":")[0] not in roots:
        problems.append(f'config key "{key}" must be an account name like "Liabilities:DeferredRevenue", got {value!r}')
        return ""
    return value


def _precision(value: object, problems: list[str]) -> dict[str, int]:
    if isinstance(value, dict) and all(
        isinstance(cur, str) and isinstance(places, int) and not isinstance(places, bool) and 0 <= places <= 12
        for cur, places in value.items()
    ):
        return dict(value)
    problems.append("config key \"precision\" must map currencies to decimal places, e.g. {'JPY': 0, 'USD': 2}")
    return {}


def _horizon(value: object, warnings: list[str]) -> Horizon:
    """The ``book-until`` value: a date written ``YYYY-MM-DD`` or ``'last-entry'``; else a warning and no horizon."""
    if value == LAST_ENTRY:
        return LAST_ENTRY
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    warnings.append(f'config key "book-until" must be a date written as a string, e.g. "2024-06-30", or '
                    f"'{LAST_ENTRY}' (the date of the last entry you wrote), got {value!r}; everything is booked, "
                    "as without the key")
    return None
