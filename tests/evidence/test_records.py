"""Record building: time text, commitments, parsing back."""

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.evidence.records import (
    encode_record,
    format_at,
    parse_record,
    record_object,
    text_commitment,
)

zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-9, minutes=-30))]
)


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(9998, 1, 1), timezones=zones)
)
def test_time_text_is_the_wire_format(instant: datetime) -> None:
    assert format_at(instant) == format_utc(instant)


def test_commitment_is_sha256_of_salt_then_text() -> None:
    salt = bytes(range(16))
    assert text_commitment(salt, "é") == hashlib.sha256(salt + b"\xc3\xa9").hexdigest()
    assert text_commitment(salt, "é") != text_commitment(bytes(16), "é")


def _record(**changes: object) -> dict[str, object]:
    fields: dict[str, object] = dict(
        conversation_id="c",
        conversation_index=1,
        prev=None,
        kind="message",
        actor_role="citizen",
        actor_id="x",
        at="2026-11-30T00:00:00.000Z",
        seq=1,
        client_msg_id="m",
        text_sha256="00" * 32,
        data={},
    )
    fields.update(changes)
    return record_object(**fields)  # type: ignore[arg-type]


def test_parse_back_and_refuse_non_canonical() -> None:
    blob = encode_record(_record(data={"room": "r1", "n": 2}))
    parsed = parse_record(blob)
    assert (parsed.conversation_id, parsed.seq, parsed.data) == ("c", 1, {"room": "r1", "n": 2})
    with pytest.raises(ValueError, match="canonical"):
        parse_record(blob.replace(b'{"actor"', b'{ "actor"'))
    with pytest.raises(ValueError, match="members"):
        parse_record(blob.replace(b'"seq"', b'"sek"'))
