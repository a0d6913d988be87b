"""What a citizen has not read yet on their cases.

Each change the citizen did not make (a decision, a staff message or attachment) bumps
``Case.citizen_notices``; reading the case copies it into ``Case.citizen_seen``. A case
whose two counters differ is *unread*.
"""

import msgspec

from rtc_gateway.domain.cases import Case
from rtc_gateway.domain.roles import Role


def noticed(case: Case, author_role: str) -> Case:
    """``case`` after a change by ``author_role``: one more notice unless the citizen did it."""
    if author_role == Role.CITIZEN.value:
        return case
    return msgspec.structs.replace(case, citizen_notices=case.citizen_notices + 1)


def seen(case: Case) -> Case:
    """``case`` once its citizen has read it."""
    return msgspec.structs.replace(case, citizen_seen=case.citizen_notices)
