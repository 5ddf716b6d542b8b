"""The live fetch through the ``stripe`` library, against recorded API responses (no network).

tests/data/stripe_api/fetch.json is built from Stripe's own fixtures by tests/data/stripe_api/build.py:
invoices on two pages (a draft among them), an invoice of 12 lines whose last two are on a second page of
its lines, a credit note, a charge with its balance transaction, a refund, no disputes, an invoice payment.
"""

from __future__ import annotations

import copy
import datetime
import functools
import json
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe

from beancount_revrec import cli_import
from beancount_revrec.importers import StripeImporter
from beancount_revrec.importers.stripe_fetch import SOURCE, FetchError, fetch_objects
from tests.conftest import ROOT, assert_one_error_line, invoke

RECORDED = ROOT / "tests" / "data" / "stripe_api"
EXCHANGES = json.loads((RECORDED / "fetch.json").read_text(encoding="utf-8"))
SINCE = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
KEY = "sk_test_recorded"
EXPAND = {"/v1/charges": {"expand[0]": "data.balance_transaction"}}


class Recorded(stripe.HTTPClient):
    """Stripe's answers from recorded exchanges, in order; the requests made are kept."""

    name = "recorded"

    def __init__(self, exchanges):
        super().__init__()
        self.exchanges = list(exchanges)
        self.requests = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):  # noqa: ARG002 - the library's signature
        parts = urlsplit(url)
        self.requests.append((method, parts.netloc, parts.path, dict(parse_qsl(parts.query))))
        assert self.exchanges, f"unexpected request {url}"
        answer = self.exchanges.pop(0)
        assert (parts.path, dict(parse_qsl(parts.query))) == (answer["path"], answer["query"]), url
        return json.dumps(answer["body"]), answer["status"], {"request-id": "req_recorded"}

    def close(self):
        pass


class Unreachable(stripe.HTTPClient):
    """No network: every request fails as the library's own clients fail."""

    name = "unreachable"

    def request(self, method, url, headers, post_data=None, *, _usage=None):  # noqa: ARG002 - the library's signature
        raise stripe.APIConnectionError("Unexpected error communicating with Stripe.\n\n(Network error: "
                                        "ConnectionError: Name or service not known)", should_retry=False)

    def close(self):
        pass


def error_exchange(name):
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


def recorded_objects():
    """What the fetch should return, assembled from the recorded pages themselves (not by the fetch)."""
    objects = []
    for exchange in copy.deepcopy(EXCHANGES):
        if exchange["path"].endswith("/lines"):
            invoice = next(obj for obj in objects if obj["id"] == exchange["path"].split("/")[3])
            invoice["lines"] = {**invoice["lines"], "data": invoice["lines"]["data"] + exchange["body"]["data"],
                                "has_more": False}
        else:
            objects += [obj for obj in exchange["body"]["data"] if obj.get("status") != "draft"]
    return objects


def test_the_requests_page_through_every_list_and_every_invoice_line():
    client = Recorded(EXCHANGES)
    fetch_objects(KEY, SINCE, client)
    assert client.exchanges == []  # every recorded exchange was asked for, in order
    assert client.requests == [
        ("get", "api.stripe.com", "/v1/invoices", {"limit": "100", "created[gte]": "1704067200"}),
        ("get", "api.stripe.com", "/v1/invoices",
         {"limit": "100", "created[gte]": "1704067200", "starting_after": "in_B"}),
        ("get", "api.stripe.com", "/v1/invoices/in_A/lines", {"limit": "100", "starting_after": "il_A10"}),
        ("get", "api.stripe.com", "/v1/credit_notes", {"limit": "100", "created[gte]": "1704067200"}),
        ("get", "api.stripe.com", "/v1/charges",
         {"limit": "100", "created[gte]": "1704067200", "expand[0]": "data.balance_transaction"}),
        ("get", "api.stripe.com", "/v1/refunds", {"limit": "100", "created[gte]": "1704067200"}),
        ("get", "api.stripe.com", "/v1/disputes", {"limit": "100", "created[gte]": "1704067200"}),
        ("get", "api.stripe.com", "/v1/invoice_payments", {"limit": "100", "created[gte]": "1704067200"}),
    ]


def page(path, data, query=None):
    """A recorded exchange without ``--since``: the request for a page of ``path`` and its answer."""
    body = {"object": "list", "data": data, "has_more": False, "url": path}
    return {"path": path, "query": {"limit": "100", **EXPAND.get(path, {}), **(query or {})}, "status": 200, "body": body}


def unfiltered(**answers):
    """Every list the fetch asks for, in its order: ``answers[name]`` (exchanges), or else an empty page."""
    lists = ["invoices", "credit_notes", "charges", "refunds", "disputes", "invoice_payments"]
    return [exchange for name in lists for exchange in answers.get(name, [page(f"/v1/{name}", [])])]


def test_without_since_nothing_is_filtered_by_date():
    client = Recorded(unfiltered(invoices=[page("/v1/invoices", EXCHANGES[0]["body"]["data"])]))
    assert [obj["id"] for obj in fetch_objects(KEY, None, client)] == ["in_B"]  # the draft in_D is not fetched
    assert client.exchanges == []


def test_a_credit_notes_lines_are_paged_too():
    note = copy.deepcopy(EXCHANGES[3]["body"]["data"][0])
    line = note["lines"]["data"][0]
    lines = [{**line, "id": f"cnli_{number:02d}", "amount": 100} for number in range(1, 12)]
    note["lines"] = {**note["lines"], "data": lines[:10], "has_more": True}
    client = Recorded(unfiltered(credit_notes=[
        page("/v1/credit_notes", [note]),
        page("/v1/credit_notes/cn_B/lines", lines[10:], {"starting_after": "cnli_10"}),
    ]))
    (fetched,) = fetch_objects(KEY, None, client)
    assert [item["id"] for item in fetched["lines"]["data"]] == [f"cnli_{number:02d}" for number in range(1, 12)]
    assert fetched["lines"]["has_more"] is False
    assert client.exchanges == []


def test_every_object_is_fetched_once_as_the_api_wrote_it():
    fetched = fetch_objects(KEY, SINCE, Recorded(EXCHANGES))
    assert [obj["id"] for obj in fetched] == ["in_B", "in_A", "cn_B", "ch_A", "re_A", "inpay_A"]  # no draft in_D
    assert fetched == recorded_objects()  # plain dicts, equal to the JSON of the pages
    assert all(type(obj) is dict for obj in fetched)
    in_a = fetched[1]
    assert in_a["lines"]["has_more"] is False
    assert [line["id"] for line in in_a["lines"]["data"]] == [f"il_A{number:02d}" for number in range(1, 13)]
    assert fetched[3]["balance_transaction"]["fee"] == 604  # expanded: the fee is visible


def test_an_invoice_of_12_lines_imports_every_line():
    entries = StripeImporter().extract_objects(fetch_objects(KEY, SINCE, Recorded(EXCHANGES)), SOURCE, [])
    (invoice,) = [entry for entry in entries if entry.meta["stripe-id"] == "in_A"]
    revenue = {posting.meta["line"]: posting.units.number for posting in invoice.postings if posting.meta}
    assert revenue == {f"il_A{number:02d}": Decimal(-(1000 + 100 * number)) / 100 for number in range(1, 13)}
    assert invoice.postings[0].account == "Assets:AccountsReceivable"
    assert invoice.postings[0].units.number == Decimal("198.00")
    assert invoice.meta["filename"] == SOURCE
    (refund,) = [entry for entry in entries if entry.meta["stripe-id"] == "re_A"]  # found in_A through inpay_A
    shares = [posting for posting in refund.postings if posting.meta and "credit-for" in posting.meta]
    # 33.00 of 198.00 in proportion to the lines (11.00 ... 22.00: a sixth of each), rounded on the running sum
    assert [posting.units.number for posting in shares] == [Decimal(share) for share in (
        "1.83", "2.00", "2.17", "2.33", "2.50", "2.67", "2.83", "3.00", "3.17", "3.33", "3.50", "3.67")]


def test_the_command_prints_what_importing_the_same_objects_from_a_file_prints(tmp_path, monkeypatch):
    export = tmp_path / "export.json"
    export.write_text(json.dumps({"object": "list", "data": recorded_objects()}), encoding="utf-8")
    from_file = invoke("import", "stripe", export)
    assert from_file.exit_code == 0, from_file.output
    client = Recorded(EXCHANGES)
    monkeypatch.setattr(cli_import, "fetch_objects", functools.partial(fetch_objects, http_client=client))
    fetched = invoke("import", "stripe", "--api-key", KEY, "--since", "2024-01-01")
    assert fetched.exit_code == 0, fetched.output
    assert fetched.stdout == from_file.stdout
    assert 'invoice: "in_A"' in fetched.stdout
    assert fetched.stderr == from_file.stderr == ""
    assert client.exchanges == []


def test_since_is_midnight_in_the_reporting_time_zone_and_the_key_comes_from_the_environment(monkeypatch):
    client = Recorded([{**error_exchange("unauthorized.json"), "query": {"limit": "100", "created[gte]": "1704085200"}}])
    monkeypatch.setattr(cli_import, "fetch_objects", functools.partial(fetch_objects, http_client=client))
    monkeypatch.setenv("STRIPE_API_KEY", KEY)
    result = invoke("import", "stripe", "--since", "2024-01-01", "--config", "{'timezone': 'America/New_York'}")
    assert client.requests[0][3]["created[gte]"] == "1704085200"  # 2024-01-01T05:00:00Z
    assert result.exit_code == 1


def test_a_refused_key_is_one_line_and_nothing_printed(monkeypatch):
    client = Recorded([error_exchange("unauthorized.json")])
    monkeypatch.setattr(cli_import, "fetch_objects", functools.partial(fetch_objects, http_client=client))
    result = invoke("import", "stripe", "--api-key", "sk_test_wrong")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert_one_error_line(result.stderr, "Stripe refused the API key", "Invalid API Key provided: sk_test_****wxyz")


def test_the_rate_limit_midway_is_one_line_and_nothing_printed(monkeypatch):
    client = Recorded([*EXCHANGES[:4], error_exchange("rate_limited.json")])
    monkeypatch.setattr(cli_import, "fetch_objects", functools.partial(fetch_objects, http_client=client))
    result = invoke("import", "stripe", "--api-key", KEY, "--since", "2024-01-01")
    assert result.exit_code == 1
    assert result.stdout == ""  # invoices and credit notes were fetched, yet nothing is printed
    assert_one_error_line(result.stderr, "Stripe's rate limit was reached listing charges: try again later",
                          "Request rate limit exceeded")


def test_no_network_is_one_clear_message():
    with pytest.raises(FetchError) as caught:
        fetch_objects(KEY, SINCE, Unreachable())
    assert str(caught.value) == ("cannot reach Stripe to list invoices (Unexpected error communicating with Stripe. "
                                 "(Network error: ConnectionError: Name or service not known))")


@pytest.mark.parametrize(("args", "words"), [
    ((), "give FILES to read, or --api-key (or STRIPE_API_KEY) to fetch from Stripe"),
    (("FILE", "--api-key", KEY), "give FILES or --api-key, not both"),
    (("FILE", "--since", "2024-01-01"), "--since selects what the fetch asks for"),
    (("--api-key", KEY, "--since", "January"), "'January' does not match the format '%Y-%m-%d'"),
])
def test_usage_errors(tmp_path, monkeypatch, args, words):
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    export = tmp_path / "export.json"
    export.write_text(json.dumps({"object": "list", "data": []}), encoding="utf-8")
    result = invoke("import", "stripe", *[export if arg == "FILE" else arg for arg in args])
    assert result.exit_code == 2
    assert words in result.output
    assert "Traceback" not in result.output


def test_files_are_read_and_the_environment_key_left_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("STRIPE_API_KEY", KEY)
    client = Recorded([])
    monkeypatch.setattr(cli_import, "fetch_objects", functools.partial(fetch_objects, http_client=client))
    export = tmp_path / "export.json"
    export.write_text(json.dumps({"object": "list", "data": recorded_objects()}), encoding="utf-8")
    result = invoke("import", "stripe", export)
    assert result.exit_code == 0, result.output
    assert client.requests == []
    assert 'invoice: "in_A"' in result.stdout
