"""Command-line subcommands of the evidence log: export, verify, erase-expired, rotate-key.

Data directory layout: ``DIR/evidence.db``, ``DIR/keys/log-signing.key`` (with
``DIR/keys/rotations/``) and ``DIR/recordings/``. These commands may run while a
server uses the same directory: the log is safe with two writers.
"""

import argparse
import asyncio
import getpass
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from rtc_gateway.adapters.sqlite.evidence_log import SqliteEvidenceLog
from rtc_gateway.adapters.sqlite.evidence_schema import stored_origin
from rtc_gateway.evidence import verify
from rtc_gateway.evidence.bundle import (
    ConversationNotFound,
    RecordingMissing,
    UnusableCheckpoint,
    export_conversation,
)
from rtc_gateway.evidence.key_store import rotate_key
from rtc_gateway.evidence.retention import erase_expired
from rtc_gateway.ports.clock import Clock, SystemClock

DEFAULT_ORIGIN = "rtc-gateway.local/evidence"
"""Origin (and signing key name) of a log created without one configured; the same
as the server configuration's default, so the command line and a server agree."""


@dataclass(frozen=True, slots=True)
class EvidencePaths:
    db: Path
    key: Path
    recordings: Path

    @classmethod
    def of(cls, data_dir: Path) -> "EvidencePaths":
        return cls(
            data_dir / "evidence.db", data_dir / "keys" / "log-signing.key", data_dir / "recordings"
        )


def log_origin(data_dir: Path, default: str = DEFAULT_ORIGIN) -> str:
    """The origin the data directory's log was created with, else ``default``."""
    return stored_origin(EvidencePaths.of(data_dir).db) or default


def open_log(
    data_dir: Path, clock: Clock | None = None, origin: str | None = None
) -> SqliteEvidenceLog:
    """A log on the data directory (call ``start()``); no periodic checkpoints."""
    paths = EvidencePaths.of(data_dir)
    return SqliteEvidenceLog(
        paths.db,
        paths.key,
        origin or log_origin(data_dir),
        clock or SystemClock(),
        checkpoint_interval_s=0,
    )


async def export_from_data_dir(
    data_dir: Path,
    conversation_id: str,
    out_path: Path,
    *,
    reason: str,
    actor_role: str,
    actor_id: str,
    include_media: bool = True,
    earlier_checkpoints: Sequence[str] = (),
) -> Path:
    """Open the data directory's log, export one conversation, close the log."""
    log = open_log(data_dir)
    await log.start()
    try:
        return await export_conversation(
            log,
            EvidencePaths.of(data_dir).recordings,
            conversation_id,
            out_path,
            reason=reason,
            actor_role=actor_role,
            actor_id=actor_id,
            include_media=include_media,
            earlier_checkpoints=earlier_checkpoints,
        )
    finally:
        await log.close()


def add_evidence_commands(
    subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> None:
    export = subparsers.add_parser("export", help="write the evidence bundle of a conversation")
    export.add_argument("--data-dir", type=Path, required=True)
    export.add_argument("--conversation", required=True, help="conversation id")
    export.add_argument("--out", type=Path, required=True, help="bundle file to write (.zip)")
    export.add_argument("--reason", default="unspecified", help="why: a case reference")
    export.add_argument("--no-media", action="store_true", help="leave the recordings out")
    export.add_argument("--actor", help="who exports (default: the login name)")
    export.add_argument(
        "--consistency-from",
        type=Path,
        action="append",
        default=[],
        metavar="CHECKPOINT",
        help="a checkpoint (or earlier bundle) to prove the log only grew since; repeatable",
    )
    export.set_defaults(handler=_export)

    check = subparsers.add_parser("verify", help="verify an evidence bundle offline")
    verify.add_arguments(check)
    check.set_defaults(handler=verify.run)

    erase = subparsers.add_parser(
        "erase-expired", help="erase texts older than the retention period (keeps the proofs)"
    )
    erase.add_argument("--data-dir", type=Path, required=True)
    erase.add_argument("--older-than-days", type=float, required=True)
    erase.set_defaults(handler=_erase)

    rotate = subparsers.add_parser("rotate-key", help="replace the log's signing key")
    rotate.add_argument("--data-dir", type=Path, required=True)
    rotate.set_defaults(handler=_rotate)


def _export(args: argparse.Namespace) -> int:
    try:
        path = asyncio.run(
            export_from_data_dir(
                args.data_dir,
                args.conversation,
                args.out,
                reason=args.reason,
                actor_role="operator",
                actor_id=args.actor or getpass.getuser(),
                include_media=not args.no_media,
                earlier_checkpoints=[
                    verify.read_checkpoint_file(path) for path in args.consistency_from
                ],
            )
        )
    except ConversationNotFound:
        print(f"no conversation {args.conversation} in the evidence log", file=sys.stderr)
        return 2
    except UnusableCheckpoint as error:
        print(f"cannot prove consistency with that checkpoint: {error}", file=sys.stderr)
        return 2
    except RecordingMissing as error:
        print(f"{error}; export with --no-media to leave recordings out", file=sys.stderr)
        return 2
    print(path)
    return 0


def _erase(args: argparse.Namespace) -> int:
    async def erase() -> int:
        log = open_log(args.data_dir)
        await log.start()
        try:
            return await erase_expired(log, log.clock.now(), timedelta(days=args.older_than_days))
        finally:
            await log.close()

    count = asyncio.run(erase())
    print(f"erased the text of {count} records")
    return 0


def _rotate(args: argparse.Namespace) -> int:
    paths = EvidencePaths.of(args.data_dir)
    if not paths.key.exists():
        print(f"no signing key at {paths.key}", file=sys.stderr)
        return 2
    new = rotate_key(paths.key, log_origin(args.data_dir), SystemClock().now())
    print(new.encode())
    return 0
