"""The cases' transition table, as the contract writes it."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rtc_gateway.domain.cases import (
    DECISIONS,
    FINAL_STATUSES,
    Case,
    CaseKind,
    CaseStatus,
    Decision,
    add_message,
    decide,
    format_reference,
    parse_decision,
    withdraw,
)
from rtc_gateway.domain.errors import BadRequest, Conflict
from rtc_gateway.domain.forces import Force

T0 = datetime(2026, 12, 1, tzinfo=UTC)

CONTRACT_TABLE = {
    "pre_complaint": {"confirm": "confirmed", "reschedule": "rescheduled", "close": "closed"},
    "complaint": {"request_info": "needs_information", "validate": "registered",
                  "reject": "rejected", "close": "closed"},
    "thesee": {"request_info": "needs_information", "validate": "registered",
               "reject": "rejected", "close": "closed"},
    "outside_walls": {"confirm": "accepted", "reschedule": "planned", "close": "closed"},
}


def new_case(kind: CaseKind, status: CaseStatus = CaseStatus.RECEIVED) -> Case:
    return Case("c1", format_reference(kind, 2026, 1), kind, status, T0, T0, "cit", False,
                Force.POLICE, None, {})


def test_table_is_the_contracts() -> None:
    assert {kind.value: {d.value: s.value for d, s in table.items()}
            for kind, table in DECISIONS.items()} == CONTRACT_TABLE


def test_reference_format() -> None:
    assert format_reference(CaseKind.PRE_COMPLAINT, 2026, 123) == "PP-2026-000123"
    assert format_reference(CaseKind.COMPLAINT, 2026, 7) == "PL-2026-000007"


@pytest.mark.parametrize("kind", list(CaseKind))
def test_a_decision_the_kind_lacks_is_a_bad_request(kind: CaseKind) -> None:
    for decision in Decision:
        if decision.value in CONTRACT_TABLE[kind.value]:
            assert parse_decision(kind, decision.value) is decision
        else:
            with pytest.raises(BadRequest):
                parse_decision(kind, decision.value)
    with pytest.raises(BadRequest):
        parse_decision(kind, "approve")


def test_withdraw_and_then_nothing() -> None:
    case = withdraw(new_case(CaseKind.COMPLAINT), T0 + timedelta(seconds=1))
    assert case.status is CaseStatus.WITHDRAWN and case.updated_at > case.created_at
    with pytest.raises(Conflict):
        withdraw(case, T0)
    with pytest.raises(Conflict):
        decide(case, Decision.CLOSE, T0)


def test_registered_complaint_can_only_be_closed() -> None:
    case = decide(new_case(CaseKind.COMPLAINT), Decision.VALIDATE, T0)
    with pytest.raises(Conflict):
        decide(case, Decision.REQUEST_INFO, T0)
    assert decide(case, Decision.CLOSE, T0).status is CaseStatus.CLOSED


def test_citizen_answer_puts_the_case_back_in_review() -> None:
    case = decide(new_case(CaseKind.COMPLAINT), Decision.REQUEST_INFO, T0)
    answered = add_message(case, "citizen", "voici la facture", T0)
    assert answered.status is CaseStatus.IN_REVIEW
    assert [m.seq for m in add_message(answered, "agent", "merci", T0).messages] == [1, 2]


steps = st.lists(st.one_of(st.sampled_from(list(Decision)), st.just("withdraw")), max_size=8)


@given(kind=st.sampled_from(list(CaseKind)), moves=steps)
def test_every_path_follows_the_table(kind: CaseKind, moves: list[Decision | str]) -> None:
    case = new_case(kind)
    for move in moves:
        before = case
        try:
            if move == "withdraw":
                case = withdraw(case, T0)
                assert case.status is CaseStatus.WITHDRAWN
            else:
                decision = parse_decision(kind, str(move))
                case = decide(case, decision, T0)
                assert case.status is DECISIONS[kind][decision]
        except BadRequest:
            assert move != "withdraw" and str(move) not in CONTRACT_TABLE[kind.value]
            assert case is before
        except Conflict:
            assert before.status in FINAL_STATUSES or before.status is CaseStatus.REGISTERED
            assert case is before
        else:
            assert before.status not in FINAL_STATUSES
