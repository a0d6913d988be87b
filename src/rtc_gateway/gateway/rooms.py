"""Socket.IO namespaces and room names: one room per person, so every device gets events."""

CITIZEN_NAMESPACE = "/citizen"
AGENT_NAMESPACE = "/agent"
STAFF_ROOM = "staff"
SUPERVISORS_ROOM = "supervisors"


def citizen_room(citizen_id: str) -> str:
    return f"c:{citizen_id}"


def agent_room(agent_id: str) -> str:
    return f"a:{agent_id}"
