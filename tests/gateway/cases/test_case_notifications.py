"""A citizen connected on ``/citizen`` hears of changes to their cases (real Socket.IO
client), and later sessions see which cases changed since they last read them."""

from typing import Any

from tests.gateway.cases.test_attachments_api import citizen, new_case, officer
from tests.gateway.conftest import StartGateway
from tests.support.attachment_files import pdf_receipt


async def test_case_updated_reaches_the_citizen_and_unread_marks_stay(
        start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    token = gw.gateway.tokens.new_citizen().token
    alice = citizen(gw)
    alice.auth = {"Authorization": f"Bearer {token}"}
    bob_socket = await gw.citizen()
    socket = await gw.citizen(token)
    case = await new_case(alice)
    paris = officer(gw, "p-paris")
    decide = f"/api/v1/staff/cases/{case['id']}/decision"

    def about(change: str) -> Any:
        return lambda data: data["case_id"] == case["id"] and data["change"] == change

    assert (await paris.json("POST", decide, {"decision": "confirm"}))[0] == 200
    decided = await socket.wait_for("case:updated", about("decision"))
    assert decided["reference"] == case["reference"] and decided["status"] == "confirmed"
    assert decided["unread"] is True and decided["kind"] == "pre_complaint"
    assert (await paris.json("POST", f"/api/v1/cases/{case['id']}/messages",
                             {"text": "À jeudi"}))[0] == 201
    await socket.wait_for("case:updated", about("message"))
    assert (await paris.upload(case["id"], pdf_receipt(),
                               content_type="application/pdf"))[0] == 201
    await socket.wait_for("case:updated", about("attachment"))
    assert bob_socket.received("case:updated") == []

    await socket.disconnect()
    status, listed = await alice.json("GET", "/api/v1/cases")
    assert status == 200 and listed["cases"][0]["unread"] is True
    status, staff_view = await paris.json("GET", f"/api/v1/staff/cases/{case['id']}")
    assert staff_view["unread"] is True
    status, read = await alice.json("GET", f"/api/v1/cases/{case['id']}")
    assert status == 200 and read["unread"] is False
    assert (await alice.json("GET", "/api/v1/cases"))[1]["cases"][0]["unread"] is False

    later = await gw.citizen(token)
    assert (await alice.json("POST", f"/api/v1/cases/{case['id']}/messages",
                             {"text": "merci"}))[0] == 201
    own = await later.wait_for("case:updated", about("message"))
    assert own["unread"] is False
    assert (await alice.json("GET", "/api/v1/cases"))[1]["cases"][0]["unread"] is False
