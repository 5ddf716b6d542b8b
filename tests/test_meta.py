"""The revrec-key format: every builder's key reads back as its source and part (meta.parse_key)."""

from __future__ import annotations

import datetime

import pytest

from beancount_revrec import meta

DAY = datetime.date(2022, 1, 31)
NEXT = datetime.date(2022, 7, 1)


@pytest.mark.parametrize(("key", "source", "part", "kind"), [
    (meta.deferral_key("in_1/Income:Sales"), "in_1/Income:Sales", "deferral", "deferral"),
    (meta.reclass_key("in_1/Income:Sales", "tax"), "in_1/Income:Sales", "tax", "reclass"),
    (meta.reclass_key("in_1/Income:Sales", "unbilled"), "in_1/Income:Sales", "unbilled", "reclass"),
    (meta.recognition_key("in_1/Income:Sales", DAY), "in_1/Income:Sales", "recognition/2022-01-31", "recognition"),
    (meta.billing_key("in_2/Income:Services"), "in_2/Income:Services", "billing", "billing"),
    (meta.scheduled_billing_key("ct_1", "USD", DAY), "ct_1", "billing/USD/2022-01-31", "billing"),
    # a source whose own key ends like a part (an item named "deferral") keeps it
    (meta.recognition_key("ct_1/deferral", DAY), "ct_1/deferral", "recognition/2022-01-31", "recognition"),
])
def test_each_key_reads_back(key: str, source: str, part: str, kind: str) -> None:
    assert meta.parse_key(key) == meta.Key(source, part, None)
    assert meta.parse_key(key).kind == kind
    corrected = meta.correction_key(key, NEXT)
    assert corrected == f"{key}/correction/2022-07-01"
    assert meta.parse_key(corrected) == meta.Key(source, part, key)
    assert meta.source_of(corrected) == source


def test_a_key_the_plugin_did_not_write_is_its_own_source() -> None:
    assert meta.parse_key("il_42") == meta.Key("il_42", "", None)
    assert meta.parse_key("il_42").kind is None
    assert meta.source_of("ct_1/platform") == "ct_1/platform"


def test_corrected_key_of_an_entry() -> None:
    key = meta.recognition_key("in_1/Income:Sales", DAY)
    assert meta.corrected_key({meta.KEY: key}) == key
    assert meta.corrected_key({meta.KEY: meta.correction_key(key, NEXT), meta.CORRECTS: key}) == key
