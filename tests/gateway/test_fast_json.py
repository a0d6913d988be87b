"""The packet JSON codec agrees with the standard library, including where msgspec refuses."""

import json

import pytest

from rtc_gateway.gateway.fast_json import FastJson

SAMPLES = [
    ["message", {"conversation_id": "cv_1", "seq": 3, "text": "Où êtes-vous ? 👮", "ok": True}],
    {"sid": "abc", "upgrades": [], "pingTimeout": 20000, "maxPayload": 65536},
    [None, 1.5, -2, 2**70, "", {"nested": [{"a": []}]}],
]


@pytest.mark.parametrize("value", SAMPLES)
def test_round_trip_matches_the_standard_library(value: object) -> None:
    encoded = FastJson.dumps(value, separators=(",", ":"))
    assert json.loads(encoded) == value
    assert FastJson.loads(json.dumps(value)) == value


def test_lone_surrogates_fall_back_instead_of_failing() -> None:
    assert FastJson.loads('["message:send", {"text": "a\\ud800b"}]') == [
        "message:send", {"text": "a\ud800b"}]
    with pytest.raises(ValueError):
        FastJson.loads("[not json")
