"""The assignment policy, without I/O."""

from hypothesis import given, settings
from hypothesis import strategies as st

from rtc_gateway.domain.agent import AgentProfile, Presence
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.priority import Priority
from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.routing import Router

POLICE, GENDARMERIE = Force.POLICE, Force.GENDARMERIE


def agent(agent_id: str, service: Force = POLICE, max_chats: int = 2,
          topics: frozenset[str] = frozenset(),
          languages: frozenset[str] = frozenset({"fr"})) -> AgentProfile:
    return AgentProfile(agent_id, agent_id, service, topics=topics, languages=languages,
                        max_chats=max_chats)


def enqueue(router: Router, cid: str, *, service: Force | None = POLICE, topic: str = "general",
            language: str = "fr", priority: Priority = Priority.NORMAL,
            returning: bool = False, now: float = 0.0) -> None:
    router.enqueue(cid, service=service, topic=topic, language=language, priority=priority,
                   now=now, returning=returning)


def test_urgent_first_then_returning_then_first_come() -> None:
    router = Router()
    enqueue(router, "n1")
    enqueue(router, "n2")
    enqueue(router, "back", returning=True)
    enqueue(router, "u1", priority=Priority.URGENT)
    assert [e.conversation_id for e in router.waiting()] == ["u1", "back", "n1", "n2"]
    assert router.positions() == {"u1": 1, "back": 2, "n1": 3, "n2": 4}
    assert [router.position(cid) for cid in ("u1", "back", "n1", "n2")] == [1, 2, 3, 4]
    router.agent_online(agent("a", max_chats=4), Presence.AVAILABLE, now=1.0)
    assert [a.conversation_id for a in router.assign(2.0)] == ["u1", "back", "n1", "n2"]


def test_least_loaded_then_idle_longest() -> None:
    router = Router()
    router.agent_online(agent("early"), Presence.AVAILABLE, now=1.0)
    router.agent_online(agent("late"), Presence.AVAILABLE, now=2.0)
    enqueue(router, "c1")
    assert router.assign(3.0)[0].agent_id == "early", "idle longest wins at equal load"
    enqueue(router, "c2")
    assert router.assign(4.0)[0].agent_id == "late", "least loaded wins"
    enqueue(router, "c3")
    assert router.assign(5.0)[0].agent_id == "early", "equal load again: idle longest"


def test_eligibility_by_service_topic_language_presence_and_role() -> None:
    router = Router()
    router.agent_online(agent("cyber", topics=frozenset({"online_scam"})), Presence.AVAILABLE, 0)
    router.agent_online(agent("english", languages=frozenset({"en"})), Presence.AVAILABLE, 0)
    router.agent_online(agent("gend", GENDARMERIE), Presence.AVAILABLE, 0)
    router.agent_online(agent("away"), Presence.AWAY, 0)
    supervisor = AgentProfile("boss", "boss", POLICE, role=Role.SUPERVISOR)
    router.agent_online(supervisor, Presence.AVAILABLE, 0)
    enqueue(router, "scam", topic="online_scam")
    enqueue(router, "en", language="en", topic="online_scam")
    enqueue(router, "rural", service=GENDARMERIE)
    enqueue(router, "either", service=None, language="de")
    assigned = {a.conversation_id: a.agent_id for a in router.assign(1.0)}
    assert assigned == {"scam": "cyber", "en": "english", "rural": "gend"}
    assert [e.conversation_id for e in router.waiting()] == ["either"]


def test_a_blocked_conversation_does_not_hold_up_the_queue() -> None:
    router = Router()
    enqueue(router, "german", language="de", priority=Priority.URGENT)
    enqueue(router, "french")
    router.agent_online(agent("a"), Presence.AVAILABLE, 0)
    assert [a.conversation_id for a in router.assign(1.0)] == ["french"]


def test_removing_an_agent_hands_back_its_conversations() -> None:
    router = Router()
    router.agent_online(agent("a"), Presence.AVAILABLE, 0)
    enqueue(router, "c1")
    enqueue(router, "c2")
    router.assign(1.0)
    assert router.remove_agent("a") == ["c1", "c2"]
    assert router.agent_of("c1") is None


def test_queue_stats_and_serving_slots() -> None:
    router = Router()
    enqueue(router, "p1", now=10.0)
    enqueue(router, "p2", now=20.0)
    enqueue(router, "u", priority=Priority.URGENT, service=None, now=15.0)
    stats = {(s.service, s.priority.value): (s.length, s.oldest_wait_s)
             for s in router.queue_stats(30.0)}
    assert stats == {("police", "normal"): (2, 20.0), ("any", "urgent"): (1, 15.0)}
    router.agent_online(agent("a", max_chats=3), Presence.AVAILABLE, 0)
    router.agent_online(agent("g", GENDARMERIE, max_chats=2), Presence.AVAILABLE, 0)
    assert router.serving_slots(POLICE) == 3 and router.serving_slots(None) == 5


# --- property: the router never double-assigns, never exceeds capacity, never idles ---

agent_specs = st.lists(
    st.tuples(st.sampled_from([POLICE, GENDARMERIE]), st.integers(1, 3),
              st.sampled_from([frozenset(), frozenset({"general"}), frozenset({"cyber"})]),
              st.sampled_from([frozenset({"fr"}), frozenset({"fr", "en"})])),
    min_size=0, max_size=5)

operations = st.lists(st.one_of(
    st.tuples(st.just("open"), st.sampled_from([POLICE, GENDARMERIE, None]),
              st.sampled_from(["general", "cyber"]), st.sampled_from(["fr", "en"]),
              st.sampled_from(list(Priority))),
    st.tuples(st.just("close"), st.integers(0, 50)),
    st.tuples(st.just("presence"), st.integers(0, 4),
              st.sampled_from([Presence.AVAILABLE, Presence.AWAY])),
    st.tuples(st.just("drop"), st.integers(0, 4)),
    st.tuples(st.just("return"), st.integers(0, 4)),
), max_size=60)


@settings(max_examples=300, deadline=None)
@given(agent_specs, operations)
def test_router_invariants_hold_under_any_sequence(specs, ops) -> None:  # type: ignore[no-untyped-def]
    router = Router()
    profiles = [agent(f"a{i}", service, cap, topics, langs)
                for i, (service, cap, topics, langs) in enumerate(specs)]
    for profile in profiles:
        router.agent_online(profile, Presence.AVAILABLE, 0.0)
    opened: list[str] = []
    now = 0.0
    for op in ops:
        now += 1.0
        if op[0] == "open":
            cid = f"c{len(opened)}"
            opened.append(cid)
            enqueue(router, cid, service=op[1], topic=op[2], language=op[3], priority=op[4],
                    now=now)
        elif op[0] == "close" and opened:
            cid = opened[op[1] % len(opened)]
            router.dequeue(cid)
            router.release(cid)
        elif op[0] == "presence" and profiles:
            profile = profiles[op[1] % len(profiles)]
            if profile.agent_id in router.agents:
                router.set_presence(profile.agent_id, op[2])
        elif op[0] == "drop" and profiles:
            profile = profiles[op[1] % len(profiles)]
            for cid in router.remove_agent(profile.agent_id):
                enqueue(router, cid, now=now, returning=True)
        elif op[0] == "return" and profiles:
            profile = profiles[op[1] % len(profiles)]
            if profile.agent_id not in router.agents:
                router.agent_online(profile, Presence.AVAILABLE, now)
        router.assign(now)
        check_invariants(router)


def check_invariants(router: Router) -> None:
    holders: dict[str, str] = {}
    for agent_id, slot in router.agents.items():
        assert slot.load <= slot.profile.max_chats, "capacity exceeded"
        for cid in slot.conversations:
            assert cid not in holders, f"{cid} held by {holders.get(cid)} and {agent_id}"
            holders[cid] = agent_id
            assert router.agent_of(cid) == agent_id
    waiting = router.waiting()
    assert not {e.conversation_id for e in waiting} & set(holders), "waiting and assigned"
    places = router.positions()
    for index, entry in enumerate(waiting):
        competing_ahead = [other for other in waiting[:index]
                           if entry.service is None or other.service in (None, entry.service)]
        assert places[entry.conversation_id] == 1 + len(competing_ahead)
        assert router.position(entry.conversation_id) == places[entry.conversation_id]
    for cid in holders:
        assert router.position(cid) is None
    for entry in waiting:
        for slot in router.agents.values():
            assert not (slot.takes_new_work and slot.is_eligible_for(entry)), \
                f"{entry.conversation_id} waits while {slot.profile.agent_id} could take it"
