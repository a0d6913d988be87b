"""Canonical JSON against RFC 8785's own examples, and the record fast path against it."""

import json
from typing import Any

import pytest
from hypothesis import given, settings
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


any_text = st.text(alphabet=st.characters(blacklist_categories=()), max_size=24)
"""Every code point, lone surrogates and control characters included."""


def outcome(encode: Any, record: dict[str, Any]) -> bytes | type[Exception]:
    try:
        return bytes(encode(record))
    except CanonicalJsonError:
        return CanonicalJsonError


@settings(max_examples=300, deadline=None)
@given(cid=any_text, actor=any_text, client=any_text | st.none(),
       seq=st.none() | st.integers(-(2**60), 2**60), index=st.integers(1, 2**60),
       version=st.integers(-(2**60), 2**60) | st.booleans())
def test_record_fast_path_refuses_what_canonical_json_refuses(
        cid: str, actor: str, client: str | None, seq: int | None, index: int,
        version: int) -> None:
    """Integers past 2**53 (an index, a version or a seq), lone surrogates anywhere."""
    record = record_object(conversation_id=cid, conversation_index=index, prev=None,
                           kind="message", actor_role="citizen", actor_id=actor,
                           at="2026-11-30T07:00:00.123Z", seq=seq, client_msg_id=client,
                           text_sha256=None, data={})
    record["v"] = version
    assert outcome(encode_record, record) == outcome(canonical_json, record)


@pytest.mark.parametrize("member", ["conversation_index", "v", "seq"])
@pytest.mark.parametrize("value", ["5", "", 2.0, True, None, 2**53])
def test_a_number_member_of_another_type_is_never_coerced(member: str, value: Any) -> None:
    record = record_object(conversation_id="c1", conversation_index=2, prev=None,
                           kind="message", actor_role="citizen", actor_id="u1",
                           at="2026-11-30T07:00:00.123Z", seq=2, client_msg_id="m2",
                           text_sha256=None, data={})
    record[member] = value
    assert outcome(encode_record, record) == outcome(canonical_json, record)
