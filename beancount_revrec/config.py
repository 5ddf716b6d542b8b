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
    expenses: tuple[str, ...] = ("Expenses",)  # where expense lines are (those with a service period, revrec:...)
    prepaid: str = "Assets:Prepaid"  # the expense side's deferred account: prepaid expenses
    contract_cost: str = "Assets:ContractCosts"  # capitalised costs of obtaining a contract (ASC 340-40)
    cost_expedient: CostExpedient = "off"  # "on": a contract cost over a term of a year or less is expensed at once
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

    def for_side(self, side: Side) -> Config:
        """The configuration as one side reads it: the expense side's lines are ``expenses``, deferred to ``prepaid``.

        On the expense side what is credited back after it was expensed stays on the line's own account (a
        reclass to ``""`` is none), and what precedes the line is caught up on its date, as a contract's is.
        """
        if side == "revenue":
            return self
        return self._replace(revenue=self.expenses, deferred=self.prepaid, catch_up="on", contra="", credit_note=None,
                             dispute=None, write_off=None, void=None)

    def own_accounts(self) -> tuple[str, ...]:
        """The accounts of the configuration the plugin posts to (never the revenue accounts, which are the user's)."""
        return tuple(dict.fromkeys(self.reclass_account(key) for key in ACCOUNT_KEYS))

    def reclass_account(self, category: str) -> str:
        """The account of a reclass ``category``: ``tax``, ``fee``... or a credit's (``contra``, ``credit_note``...).

        A kind of credit without an account of its own goes to ``contra``.
        """
        return str(getattr(self, category.replace("-", "_")) or self.contra)


CreditSplit = Literal["proportional", "deferred-first"]
CostExpedient = Literal["off", "on"]
Side = Literal["revenue", "expense"]
"""Which side of the books a line is on: revenue (deferred revenue) or expense (prepaid expenses, contract costs)."""
CatchUp = Literal["on", "off"]
LAST_ENTRY: Final = "last-entry"
Horizon = datetime.date | Literal["last-entry"] | None
"""``book-until``: a date, ``"last-entry"`` (the date of the last entry the user wrote) or None (book everything)."""
ACCOUNT_KEYS = ("deferred", "prepaid", "contract-cost", "contract-asset", "receivable", "unbilled", "tax", "fee",
                "passthrough", "exclude", "contra", "credit-note", "dispute", "write-off", "void",
                "other-loss", "recoverables")
CHOICES: dict[str, tuple[str, ...]] = {"credit-split": get_args(CreditSplit), "catch-up": get_args(CatchUp),
                                       "cost-expedient": get_args(CostExpedient)}
"""The keys whose value is one of a few words."""
KEYS = ("revenue", "expenses", *ACCOUNT_KEYS, *CHOICES, "precision", "book-until")
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
    default = Config(revenue=(roots[3],), expenses=(roots[4],), prepaid=f"{roots[0]}:Prepaid",
                     contract_cost=f"{roots[0]}:ContractCosts")
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
    _side_accounts(raw, values, roots, problems)
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


def _side_accounts(raw: dict[Any, Any], values: dict[str, Any], roots: tuple[str, ...], problems: list[str]) -> None:
    """Set ``revenue`` and ``expenses`` in ``values``; check the roots of both sides' accounts."""
    for key, root in (("revenue", None), ("expenses", roots[4])):
        if key in raw:
            values[key] = _accounts(key, raw[key], roots, root, problems)
    for key in ("prepaid", "contract-cost"):
        given = values.get(key.replace("-", "_"))
        if given and given.split(":")[0] != roots[0]:
            problems.append(f'config key "{key}" must be an asset account (under {roots[0]}), e.g. '
                            f'"{roots[0]}:{"Prepaid" if key == "prepaid" else "ContractCosts"}", got {raw[key]!r}')
    if any(account.split(":")[0] == roots[4] for account in values.get("revenue", ())):
        problems.append(f'config key "revenue" names an expense account: prepaid expenses are configured on the '
                        f'same plugin line, e.g. "{{\'expenses\': \'{roots[4]}\', \'prepaid\': '
                        f'\'{roots[0]}:Prepaid\'}}" (the default): remove the second plugin line')


def _accounts(
    key: str, value: object, roots: tuple[str, ...], root: str | None, problems: list[str],
) -> tuple[str, ...]:
    """The accounts of ``revenue`` or ``expenses``: one account or a list; ``root``: the root they must be under."""
    accounts = [value] if isinstance(value, str) else value
    if not isinstance(accounts, list | tuple) or not accounts:
        problems.append(f'config key "{key}" must be an account or a list of accounts')
        return ()
    found = tuple(_account(key, account, roots, problems) for account in accounts)
    if root is not None and any(account and account.split(":")[0] != root for account in found):
        problems.append(f'config key "{key}" must name accounts under {root}, e.g. "{root}:Insurance", got {value!r}')
    return found


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
