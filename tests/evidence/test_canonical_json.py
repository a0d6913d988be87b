"""Canonical JSON against RFC 8785's own examples, and the record fast path against it."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rtc_gateway.evidence.canonical_json import CanonicalJsonError, canonical_json, format_number
from rtc_gateway.evidence.records import encode_record, record_object


def test_rfc8785_section_3_2_2_example() -> None:
    # The input and output of RFC 8785 section 3.2.2 (numbers, string escapes, literals).
    value = json.loads(
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_json(value) == expected.encode("utf-8")


def test_rfc8785_section_3_2_3_sorts_by_utf16_code_units() -> None:
    # RFC 8785 section 3.2.3: property names sorted by their UTF-16 code units.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = list(json.loads(canonical_json(value)))
    assert [v for k in keys for v in [value[k]]] == [
        "Carriage Return",
        "One",
        "Control",
        "Latin Small Letter O With Diaeresis",
        "Euro Sign",
        "Emoji: Grinning Face",
        "Hebrew Letter Dalet With Dagesh",
    ]


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (-1.5, "-1.5"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (9007199254740992.0, "9007199254740992"),
        (0.1 + 0.2, "0.30000000000000004"),
    ],
)
def test_numbers_follow_ecmascript(number: float, text: str) -> None:
    assert format_number(number) == text


@pytest.mark.parametrize(
    "bad", [float("nan"), float("inf"), 2**53, {1: "x"}, b"bytes", "\ud800", object()]
)
def test_values_without_canonical_form_are_refused(bad: object) -> None:
    with pytest.raises(CanonicalJsonError):
        canonical_json({"v": bad})


texts = st.text(max_size=20)
optional_texts = st.none() | texts


@given(
    cid=texts,
    role=texts,
    actor=texts,
    kind=texts,
    seq=st.none() | st.integers(-(2**53) + 1, 2**53 - 1),
    client=optional_texts,
    commitment=optional_texts,
    prev=st.none() | st.binary(min_size=32, max_size=32),
    index=st.integers(1, 2**40),
)
def test_record_fast_path_is_canonical(
    cid: str,
    role: str,
    actor: str,
    kind: str,
    seq: int | None,
    client: str | None,
    commitment: str | None,
    prev: bytes | None,
    index: int,
) -> None:
    record = record_object(
        conversation_id=cid,
        conversation_index=index,
        prev=prev,
        kind=kind,
        actor_role=role,
        actor_id=actor,
        at="2026-11-30T00:00:00.000Z",
        seq=seq,
        client_msg_id=client,
        text_sha256=commitment,
        data={},
    )
    try:
        expected = canonical_json(record)
    except CanonicalJsonError:
        with pytest.raises(CanonicalJsonError):
            encode_record(record)
        return
    assert encode_record(record) == expected
