"""A citizen connected on ``/citizen`` hears of changes to their cases (real Socket.IO
clients), on every socket of the same verified person, and later sessions see which
cases changed since they last read them."""

from typing import Any

from tests.gateway.cases.conftest import Api, pre_complaint
from tests.gateway.cases.test_attachments_api import Caller, citizen, new_case, officer
from tests.gateway.conftest import StartGateway
from tests.gateway.identity.conftest import IdentityWorld
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


def about(case: dict[str, Any], change: str) -> Any:
    return lambda data: data["case_id"] == case["id"] and data["change"] == change


async def test_case_updated_reaches_every_socket_of_the_verified_person(
        world: IdentityWorld) -> None:
    browser = world.browser()
    await browser.login()
    logged_in = await world.citizen(cookie=browser.cookie_header())  # the login's id
    chat = await world.citizen()  # an anonymous chat identity, stepped up below
    stepped = await world.citizen(cookie=browser.cookie_header(),
                                  token=chat.received("session")[0]["token"])
    assert await stepped.ok("identity:link", {}) == {"ok": True, "verified": True}
    chat_id = stepped.received("session")[0]["citizen_id"]
    assert chat_id != logged_in.received("session")[0]["citizen_id"]
    stranger = await world.citizen()
    paris = officer(world.gw, "p-paris")

    by_chat = await new_case(Caller(world.gw, stepped.received("session")[0]["token"]))
    decide = f"/api/v1/staff/cases/{by_chat['id']}/decision"
    assert (await paris.json("POST", decide, {"decision": "confirm"}))[0] == 200
    for socket in (logged_in, chat, stepped):
        decided = await socket.wait_for("case:updated", about(by_chat, "decision"))
        assert decided["status"] == "confirmed" and decided["unread"] is True

    cookie_api = Api(world.gw.url, http=browser.http, origin=world.gw.url)
    status, by_login = await cookie_api.post("/api/v1/pre-complaints", pre_complaint())
    assert status == 201, by_login
    assert (await paris.json("POST", f"/api/v1/cases/{by_login['id']}/messages",
                             {"text": "Convocation jeudi"}))[0] == 201
    for socket in (logged_in, chat, stepped):
        await socket.wait_for("case:updated", about(by_login, "message"))

    await browser.get(f"{world.gw.url}/auth/logout")  # no live session: the filing id only
    assert (await paris.json("POST", f"/api/v1/cases/{by_chat['id']}/messages",
                             {"text": "Après la déconnexion"}))[0] == 201
    for socket in (chat, stepped):
        await socket.wait_for("case:updated", about(by_chat, "message"))
    assert (await paris.json("POST", f"/api/v1/cases/{by_login['id']}/messages",
                             {"text": "Marqueur"}))[0] == 201
    marks = await logged_in.wait_for("case:updated", lambda d: d["case_id"] == by_login["id"]
                                     and len([e for e in logged_in.received("case:updated")
                                              if e["case_id"] == by_login["id"]]) == 2)
    assert marks["change"] == "message"  # ordered after any news of the chat's case
    heard = [(e["case_id"], e["change"]) for e in logged_in.received("case:updated")]
    assert heard == [(by_chat["id"], "decision"), (by_login["id"], "message"),
                     (by_login["id"], "message")]
    assert stranger.received("case:updated") == []
