"""A live fetch of the Stripe objects the importer reads, through the ``stripe`` library.

A thin layer over the library (its ``StripeClient``, auto-pagination, retries and pinned API
version): it lists invoices, credit notes, charges (with their balance transaction expanded, so
fees are visible), refunds, disputes and invoice payments, each list paged to its end, and pages
through the rest of any invoice's or credit note's lines (the API embeds the first ten and says
``has_more``). Draft invoices are not fetched: they are not invoices yet. The objects come back as
plain dicts, the JSON the API returned, in the shape ``read_objects`` gives from a file, so that the
same ``convert`` turns them into entries. No conversion happens here.

Every failure of the library (a refused key, no network, the rate limit, an API error) is one
``FetchError`` whose message is a single line for a person.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import stripe

from beancount_revrec.importers.stripe_base import Obj

SOURCE = "api.stripe.com"  # the entries' file name and the messages' prefix
PAGE = 100  # the largest page the API gives
RETRIES = 2  # retries of a lost connection, a conflict or a server error, with the library's backoff

Lister = Callable[..., stripe.ListObject[Any]]

_FAILURES: list[tuple[type[stripe.StripeError], str]] = [
    (stripe.AuthenticationError, "Stripe refused the API key"),
    (stripe.PermissionError, "the API key may not list {what}"),
    (stripe.RateLimitError, "Stripe's rate limit was reached listing {what}: try again later"),
    (stripe.APIConnectionError, "cannot reach Stripe to list {what}"),
]


class FetchError(Exception):
    """The fetch failed; the message is one line that says why."""


def fetch_objects(
    api_key: str, since: datetime.datetime | None = None, http_client: stripe.HTTPClient | None = None
) -> list[Obj]:
    """Every object the importer reads, fetched from Stripe's API.

    Args:
        api_key: A secret or restricted key that may read these objects.
        since: Only objects created at or after this instant (``created[gte]``); all when None.
        http_client: The library's HTTP client; its default when None (tests plug in recorded responses).

    Returns:
        Invoices (every line, finalized only), credit notes (every line), charges, refunds, disputes
        and invoice payments, each as the API's JSON, in that order.

    Raises:
        FetchError: The key was refused, Stripe could not be reached, the rate limit was hit, or the
            API answered with an error.
    """
    client = stripe.StripeClient(api_key, max_network_retries=RETRIES, http_client=http_client)
    v1, created = client.v1, {"created": {"gte": int(since.timestamp())}} if since else {}
    lists: list[tuple[str, Lister, Lister | None, dict[str, Any]]] = [
        ("invoices", v1.invoices.list, v1.invoices.line_items.list, {}),
        ("credit notes", v1.credit_notes.list, v1.credit_notes.line_items.list, {}),
        ("charges", v1.charges.list, None, {"expand": ["data.balance_transaction"]}),
        ("refunds", v1.refunds.list, None, {}),
        ("disputes", v1.disputes.list, None, {}),
        ("invoice payments", v1.invoice_payments.list, None, {}),
    ]
    objects: list[Obj] = []
    for what, lister, lines, extra in lists:
        try:
            found = _every(lister({"limit": PAGE, **created, **extra}))
            objects += [_all_lines(obj, lines) for obj in found if not _draft(obj)]
        except stripe.StripeError as error:
            raise FetchError(_message(error, what)) from None
    return objects


def _every(page: stripe.ListObject[Any]) -> list[Obj]:
    """The items of a list and of all its next pages, as plain dicts."""
    return [item.to_dict(for_json=True) for item in page.auto_paging_iter()]


def _draft(obj: Obj) -> bool:
    return obj.get("object") == "invoice" and obj.get("status") == "draft"


def _all_lines(obj: Obj, lines: Lister | None) -> Obj:
    """The object with every line: the embedded ones, then the pages after the last of them."""
    embedded = obj.get("lines") or {}
    data = embedded.get("data") or []
    if lines is None or not embedded.get("has_more") or not data:
        return obj
    rest = _every(lines(obj["id"], {"limit": PAGE, "starting_after": data[-1]["id"]}))
    return {**obj, "lines": {**embedded, "data": [*data, *rest], "has_more": False}}


def _message(error: stripe.StripeError, what: str) -> str:
    """One line for a person: what failed, and Stripe's own words."""
    said = " ".join(str(error.user_message or type(error).__name__).split())
    for kind, text in _FAILURES:
        if isinstance(error, kind):
            return f"{text.format(what=what)} ({said})"
    return f"Stripe answered {error.http_status} listing {what} ({said})"
