"""The memory session store: single-use logins, expiry, links, revocation, bounds."""

from datetime import UTC, datetime, timedelta

from rtc_gateway.adapters.memory.session_store import MemorySessionStore
from rtc_gateway.domain.identity import CitizenIdentity, PendingLogin, VerifiedSession

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def login(state: str, expires_at: datetime = LATER) -> PendingLogin:
    return PendingLogin(state, "browser-hash", "nonce", "verifier", "/", expires_at)


def session(session_id: str = "s1", citizen_id: str = "c_1") -> VerifiedSession:
    identity = CitizenIdentity("https://idp", "sub", "eidas1", {"given_name": "Marie"})
    return VerifiedSession(session_id, citizen_id, identity, "id.token.x", NOW, LATER)


async def test_a_login_is_taken_once() -> None:
    store = MemorySessionStore()
    await store.put_login(login("st"))
    assert (await store.take_login("st", NOW)) is not None
    assert (await store.take_login("st", NOW)) is None


async def test_an_expired_login_is_gone() -> None:
    store = MemorySessionStore()
    await store.put_login(login("st", expires_at=NOW))
    assert (await store.take_login("st", NOW)) is None


async def test_pending_logins_are_bounded_oldest_first() -> None:
    store = MemorySessionStore(max_pending_logins=2)
    for state in ("a", "b", "c"):
        await store.put_login(login(state))
    assert (await store.take_login("a", NOW)) is None
    assert (await store.take_login("c", NOW)) is not None


async def test_sessions_expire_link_and_revoke() -> None:
    store = MemorySessionStore()
    await store.put_session(session())
    assert (await store.get_session("s1", NOW)) is not None
    assert (await store.get_session("s1", LATER)) is None  # expired, and dropped
    await store.put_session(session())
    linked = await store.link_citizen("s1", "c_anon", NOW)
    assert linked is not None and linked.vouches_for("c_anon") and linked.vouches_for("c_1")
    assert (await store.session_of_citizen("c_anon", NOW)) == linked
    await store.delete_session("s1")
    assert (await store.session_of_citizen("c_anon", NOW)) is None
    assert (await store.session_of_citizen("c_1", NOW)) is None
    assert (await store.link_citizen("s1", "c_other", NOW)) is None
