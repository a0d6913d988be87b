"""The packet JSON codec agrees with the standard library, including where msgspec refuses."""

import json

import pytest

from rtc_gateway.realtime import fast_json

SAMPLES = [
    ["message", {"conversation_id": "cv_1", "seq": 3, "text": "Où êtes-vous ? 👮", "ok": True}],
    {"sid": "abc", "upgrades": [], "pingTimeout": 20000, "maxPayload": 65536},
    [None, 1.5, -2, 2**70, "", {"nested": [{"a": []}]}],
]


@pytest.mark.parametrize("value", SAMPLES)
def test_round_trip_matches_the_standard_library(value: object) -> None:
    assert json.loads(fast_json.encode(value)) == value
    assert fast_json.decode(json.dumps(value)) == value


def test_lone_surrogates_are_refused_as_text_and_garbage_as_json() -> None:
    with pytest.raises(fast_json.UnencodableText):
        fast_json.decode('["message:send", {"text": "a\\ud800b"}]')
    with pytest.raises(fast_json.UnencodableText):
        fast_json.decode('[1e400, {"\\udc00": 1}]')
    assert fast_json.decode("[1e400]") == [float("inf")], "what msgspec refuses still decodes"
    with pytest.raises(ValueError) as garbage:
        fast_json.decode("[not json")
    assert not isinstance(garbage.value, fast_json.UnencodableText)
    assert json.loads(fast_json.encode({"text": "a\ud800b"})) == {"text": "a\ud800b"}
