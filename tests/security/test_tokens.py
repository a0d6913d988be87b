"""Token lifecycle in the authority: superseded citizen tokens, revoked staff tokens."""

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.errors import Unauthorized
from rtc_gateway.domain.forces import Force
from rtc_gateway.ports.revocations import EntryKind, RevocationEntry
from rtc_gateway.security.revocation_list import RevocationList
from rtc_gateway.security.tokens import TokenAuthority
from tests.evidence.support import ManualClock

OFFICER = AgentProfile("P-1", "Brigadier Durand", Force.POLICE)


def real_time() -> ManualClock:
    """PyJWT checks expiry and issue time against the real clock: start the test's clock
    a little before now, so it may move forward a few seconds."""
    return ManualClock(datetime.now(UTC) - timedelta(seconds=10))


def authority(clock: ManualClock | None = None) -> TokenAuthority:
    return TokenAuthority(Ed25519PrivateKey.generate(), clock or real_time(), 3600)


def us(instant: datetime) -> int:
    return int(instant.timestamp() * 1_000_000)


def test_a_newer_citizen_token_ends_the_older_ones_even_within_one_second() -> None:
    tokens = authority()
    first = tokens.mint_citizen("c_1")
    second = tokens.mint_citizen("c_1")
    assert tokens.verify_citizen(second.token) == "c_1"
    with pytest.raises(Unauthorized, match="superseded"):
        tokens.verify_citizen(first.token)
    other = tokens.mint_citizen("c_2")
    assert tokens.verify_citizen(other.token) == "c_2", "other identities are not touched"
    assert tokens.verify_citizen(second.token) == "c_1"


def test_the_token_exchanged_for_a_newer_one_keeps_a_grace_until_the_newer_is_used() -> None:
    clock = real_time()
    tokens = authority(clock)
    older = tokens.mint_citizen("c_1")
    presented = tokens.mint_citizen("c_1")
    renewed = tokens.renew_citizen(presented.token)
    assert tokens.verify_citizen(presented.token) == "c_1", "its reply may have been lost"
    again = tokens.renew_citizen(presented.token)
    with pytest.raises(Unauthorized):
        tokens.verify_citizen(older.token)
    with pytest.raises(Unauthorized):
        tokens.verify_citizen(renewed.token)
    tokens.renew_citizen(again.token)
    with pytest.raises(Unauthorized):
        tokens.verify_citizen(presented.token)
    clock.advance(timedelta(seconds=121))
    with pytest.raises(Unauthorized):
        tokens.verify_citizen(again.token)


def test_a_new_anonymous_identity_records_nothing_until_renewed() -> None:
    tokens = authority()
    first = tokens.new_citizen()
    assert tokens.revocations.take_unsaved() == []
    renewed = tokens.renew_citizen(first.token)
    assert renewed.subject == first.subject
    assert {e.kind for e in tokens.revocations.take_unsaved()} == {
        EntryKind.CITIZEN, EntryKind.CITIZEN_GRACE}


def test_superseded_citizen_tokens_stay_ended_on_a_node_that_reads_the_store() -> None:
    clock = real_time()
    key = Ed25519PrivateKey.generate()
    node_a = TokenAuthority(key, clock, 3600)
    node_b = TokenAuthority(key, clock, 3600)
    old = node_a.mint_citizen("c_1")
    new = node_a.mint_citizen("c_1")
    assert node_b.verify_citizen(old.token) == "c_1"
    node_b.revocations.apply(node_a.revocations.take_unsaved())
    with pytest.raises(Unauthorized):
        node_b.verify_citizen(old.token)
    assert node_b.verify_citizen(new.token) == "c_1"


def test_staff_revocation_ends_tokens_issued_before_it_only() -> None:
    clock = real_time()
    tokens = authority(clock)
    before = tokens.mint_agent(OFFICER, 3600).token
    colleague = tokens.mint_agent(AgentProfile("P-2", "Adjudant Martin", Force.POLICE), 3600)
    clock.advance(timedelta(seconds=1))
    assert tokens.revocations.apply(
        [RevocationEntry(EntryKind.STAFF, "P-1", us(clock.now()), 2**62)])
    with pytest.raises(Unauthorized, match="revoked"):
        tokens.verify_agent(before)
    assert tokens.verify_agent(colleague.token).agent_id == "P-2"
    clock.advance(timedelta(seconds=1))
    assert tokens.verify_agent(tokens.mint_agent(OFFICER, 3600).token).agent_id == "P-1"


def test_one_staff_token_is_revoked_by_its_id() -> None:
    tokens = authority()
    revoked = tokens.mint_agent(OFFICER, 3600).token
    kept = tokens.mint_agent(OFFICER, 3600).token
    stamp = tokens.staff_stamp(revoked)
    tokens.revocations.apply([RevocationEntry(EntryKind.TOKEN, stamp.token_id, 0,
                                              stamp.expires_us)])
    with pytest.raises(Unauthorized):
        tokens.verify_agent(revoked)
    assert tokens.verify_agent(kept).agent_id == "P-1"


def test_staff_stamp_accepts_an_expired_token_but_not_a_foreign_or_citizen_one() -> None:
    tokens = authority()
    expired = tokens.mint_agent(OFFICER, -60).token
    assert tokens.staff_stamp(expired).subject == "P-1"
    with pytest.raises(Unauthorized):
        tokens.staff_stamp(authority().mint_agent(OFFICER, 3600).token)
    with pytest.raises(Unauthorized):
        tokens.staff_stamp(tokens.mint_citizen("c_1").token)


def test_entries_are_forgotten_once_every_token_they_concern_has_expired() -> None:
    revocations = RevocationList()
    revocations.citizen_issued("c_1", 10, expires_us=100)
    revocations.apply([RevocationEntry(EntryKind.TOKEN, "jti-1", 0, 100)])
    assert revocations.citizen_superseded("c_1", 5, now_us=0)
    assert revocations.staff_revoked("P-1", "jti-1", 5)
    revocations.forget_expired(now_us=99)
    assert revocations.citizen_superseded("c_1", 5, now_us=0)
    revocations.forget_expired(now_us=101)
    assert not revocations.citizen_superseded("c_1", 5, now_us=0)
    assert not revocations.staff_revoked("P-1", "jti-1", 5)
