"""The command line's composition root: which evidence log adapter a command opens.

Without a database URL the log is the SQLite file of the data directory; with one it is
the PostgreSQL log the nodes share (the data directory still holds the keys and the
recordings). The evidence commands only see :class:`~rtc_gateway.ports.evidence_source.
EvidenceSource`.
"""

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from rtc_gateway.adapters.evidence_batch import StorageUnavailable
from rtc_gateway.adapters.filesystem.blob_store import FileBlobStore
from rtc_gateway.adapters.postgres.case_store import PostgresCaseStore
from rtc_gateway.adapters.postgres.database import UNREACHABLE
from rtc_gateway.adapters.postgres.evidence_log import PostgresEvidenceLog, SigningKeyMismatch
from rtc_gateway.adapters.postgres.schema import SchemaTooNew, stored_origin
from rtc_gateway.adapters.sqlite.case_store import SqliteCaseStore
from rtc_gateway.adapters.sqlite.evidence_log import SqliteEvidenceLog
from rtc_gateway.adapters.sqlite.evidence_schema import stored_origin as sqlite_origin
from rtc_gateway.cli_support import EXIT_FAILED, CommandError, tool_settings
from rtc_gateway.evidence.commands import DEFAULT_ORIGIN
from rtc_gateway.ports.clock import Clock, SystemClock
from rtc_gateway.ports.evidence_archive import EvidenceArchive
from rtc_gateway.ports.evidence_source import LogPlace, LogUnavailable, NoLog
from rtc_gateway.services.cases.attachment_sweep import AttachmentSweep
from rtc_gateway.services.cases.purge import PreComplaintPurge

_T = TypeVar("_T")
CONNECT_TIMEOUT_S = 10.0


def sqlite_db(place: LogPlace) -> Path:
    return place.data_dir / "evidence.db"


class EvidenceLogs:
    """Implements :class:`~rtc_gateway.ports.evidence_source.EvidenceSource`."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()

    def check_exists(self, place: LogPlace) -> None:
        if place.database_url is None and not sqlite_db(place).is_file():
            raise NoLog(
                f"no evidence log in {place.data_dir} (no evidence.db there): pass the"
                " gateway's --data-dir, or --database-url for a PostgreSQL log")

    def attachment_files(self, place: LogPlace) -> FileBlobStore:
        return FileBlobStore(place.data_dir / "attachments")

    async def origin(self, place: LogPlace) -> str:
        if place.database_url is None:
            return sqlite_origin(sqlite_db(place)) or DEFAULT_ORIGIN
        try:
            connection = await asyncpg.connect(place.database_url, timeout=CONNECT_TIMEOUT_S)
            try:
                origin = await stored_origin(connection)
            finally:
                await connection.close(timeout=5)
        except UNREACHABLE as error:
            raise LogUnavailable(_unreachable(error)) from error
        if origin is None:  # never create a log in a mistyped database
            raise NoLog("no evidence log in that PostgreSQL database (no node has started"
                        " on it): check --database-url")
        return origin

    async def using(self, place: LogPlace, job: Callable[[EvidenceArchive], Awaitable[_T]]
                    ) -> _T:
        origin = await self.origin(place)
        log: SqliteEvidenceLog | PostgresEvidenceLog
        if place.database_url is None:
            log = SqliteEvidenceLog(sqlite_db(place), place.key_path, origin, self._clock,
                                    checkpoint_interval_s=0)
            await log.start()
            try:
                return await job(log)
            finally:
                await log.close()
        log = PostgresEvidenceLog(place.database_url, place.key_path, origin, self._clock,
                                  checkpoint_interval_s=0, node_id="command-line", pool_size=2)
        try:
            await log.start()
        except (SchemaTooNew, SigningKeyMismatch) as error:
            raise LogUnavailable(str(error)) from error
        except UNREACHABLE as error:
            raise LogUnavailable(_unreachable(error)) from error
        try:
            result = await job(log)
        except (*UNREACHABLE, StorageUnavailable) as error:
            await _close_quietly(log)
            raise LogUnavailable(_unreachable(error)) from error
        except BaseException:
            await _close_quietly(log)
            raise
        try:
            await log.close()
        except (*UNREACHABLE, StorageUnavailable) as error:
            raise LogUnavailable(_unreachable(error)) from error
        return result


async def purge_pre_complaints(place: LogPlace, clock: Clock) -> list[str]:
    """One purge of the place's pre-complaints: ``cases.db`` beside the SQLite log, or
    the nodes' cases in PostgreSQL; then the sweep of the data directory's attachment
    files no case lists (``RTC_GATEWAY_ATTACHMENT_SWEEP_GRACE_S``)."""
    store: SqliteCaseStore | PostgresCaseStore = (
        PostgresCaseStore(place.database_url) if place.database_url is not None
        else SqliteCaseStore(place.data_dir / "cases.db"))
    sweep = AttachmentSweep(store, FileBlobStore(place.data_dir / "attachments", clock),
                            clock, tool_settings(place.data_dir).attachment_sweep_grace_s)

    async def purge(log: EvidenceArchive) -> list[str]:
        assert isinstance(log, SqliteEvidenceLog | PostgresEvidenceLog)
        await store.open()
        try:
            return await PreComplaintPurge(store, log, clock, eraser=log, sweep=sweep).run()
        finally:
            await store.close()

    return await EvidenceLogs(clock).using(place, purge)


async def _close_quietly(log: PostgresEvidenceLog) -> None:
    """Close after a failure that is already being reported."""
    try:
        await log.close()
    except (*UNREACHABLE, StorageUnavailable):
        pass


def _unreachable(error: BaseException, what: str = "the evidence database") -> str:
    """The driver's first line names host and port, never the password."""
    reason = str(error).splitlines()[0] if str(error) else "no answer"
    return f"{what} is unreachable ({type(error).__name__}: {reason})"


def shared_store_call(call: Coroutine[Any, Any, _T]) -> _T:
    """Run a command's call on a store (the revocations, say); a PostgreSQL one that
    cannot be reached or is newer than this code exits 1 with the reason."""
    try:
        return asyncio.run(call)
    except SchemaTooNew as error:
        raise CommandError(str(error), EXIT_FAILED) from error
    except UNREACHABLE as error:
        raise CommandError(_unreachable(error, "the database"), EXIT_FAILED) from error
