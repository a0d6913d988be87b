"""Part of the composition root: opening the stores several nodes share in PostgreSQL
(sessions, cases; the revocation store opens with its sync) after the evidence log has
migrated the schema, with a failure said as a :class:`StartupRefused`."""

from typing import Protocol

from rtc_gateway.adapters.postgres.database import UNREACHABLE
from rtc_gateway.adapters.postgres.schema import SchemaTooNew
from rtc_gateway.shared_services import StartupRefused


class Openable(Protocol):
    async def open(self) -> None: ...


async def open_stores(*stores: Openable) -> None:
    try:
        for store in stores:
            await store.open()
    except SchemaTooNew as error:
        raise StartupRefused(str(error)) from error
    except UNREACHABLE as error:
        raise StartupRefused(f"the shared database is unreachable ({type(error).__name__})"
                             ) from error
