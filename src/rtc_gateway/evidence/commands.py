"""Command-line subcommands of the evidence log: export, verify, erase-expired, rotate-key,
log-key.

Data directory layout: ``DIR/evidence.db``, ``DIR/keys/log-signing.key`` (with
``DIR/keys/rotations/``), ``DIR/recordings/`` and ``DIR/attachments/``. These commands
may run while a server uses the same directory: the log is safe with two writers.
"""

import argparse
import asyncio
import getpass
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from rtc_gateway.adapters.filesystem.blob_store import FileBlobStore
from rtc_gateway.adapters.sqlite.evidence_log import SqliteEvidenceLog
from rtc_gateway.adapters.sqlite.evidence_schema import stored_origin
from rtc_gateway.cli_support import (
    CommandError,
    add_data_dir,
    counted,
    data_dir_of,
    existing_log,
    non_negative,
)
from rtc_gateway.evidence import verify
from rtc_gateway.evidence.bundle import (
    ConversationNotFound,
    RecordingMissing,
    UnusableCheckpoint,
    export_conversation,
)
from rtc_gateway.evidence.key_rotation import follow_chain
from rtc_gateway.evidence.key_store import read_statements, rotate_key
from rtc_gateway.evidence.retention import erase_expired
from rtc_gateway.evidence.signed_note import NoteError, VerifierKey
from rtc_gateway.ports.clock import Clock, SystemClock
from rtc_gateway.security.keys import load_private_key

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
            attachments=FileBlobStore(data_dir / "attachments"),
        )
    finally:
        await log.close()


def add_evidence_commands(
    subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> None:
    export = subparsers.add_parser("export", help="write the evidence bundle of a conversation")
    add_data_dir(export)
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--conversation", help="conversation id")
    which.add_argument("--case", dest="conversation", metavar="CASE_ID",
                       help="case id (its records are kept like a conversation's)")
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
    check.set_defaults(handler=_verify)

    erase = subparsers.add_parser(
        "erase-expired", help="erase texts older than the retention period (keeps the proofs)"
    )
    add_data_dir(erase)
    erase.add_argument("--older-than-days", type=non_negative, required=True, metavar="DAYS",
                       help="the retention period, in days (0 or more)")
    erase.set_defaults(handler=_erase)

    rotate = subparsers.add_parser("rotate-key", help="replace the log's signing key")
    add_data_dir(rotate)
    rotate.set_defaults(handler=_rotate)

    key = subparsers.add_parser(
        "log-key", help="print the log's public key, to publish for verify --trusted-key")
    add_data_dir(key)
    key.add_argument("--current", action="store_true",
                     help="the key signing now rather than the first key (the trust anchor)")
    key.set_defaults(handler=_log_key)


def _export(args: argparse.Namespace) -> int:
    data_dir = existing_log(data_dir_of(args))
    try:
        earlier = [verify.read_checkpoint_file(path) for path in args.consistency_from]
    except (OSError, UnicodeDecodeError, KeyError, zipfile.BadZipFile) as error:
        raise CommandError(f"cannot read the checkpoint: {error}") from error
    try:
        path = asyncio.run(
            export_from_data_dir(
                data_dir,
                args.conversation,
                args.out,
                reason=args.reason,
                actor_role="operator",
                actor_id=args.actor or getpass.getuser(),
                include_media=not args.no_media,
                earlier_checkpoints=earlier,
            )
        )
    except ConversationNotFound:
        raise CommandError(
            f"no conversation {args.conversation} in the evidence log"
            " (rtc-gateway conversations list shows them)") from None
    except UnusableCheckpoint as error:
        raise CommandError(f"cannot prove consistency with that checkpoint: {error}") from None
    except RecordingMissing as error:
        raise CommandError(f"{error}; export with --no-media to leave recordings out") from None
    print(path)
    return 0


def _verify(args: argparse.Namespace) -> int:
    if not args.bundle.is_file():
        raise CommandError(f"no bundle at {args.bundle}")
    return verify.run(args)


def _erase(args: argparse.Namespace) -> int:
    data_dir = existing_log(data_dir_of(args))

    async def erase() -> int:
        log = open_log(data_dir)
        await log.start()
        try:
            return await erase_expired(log, log.clock.now(), timedelta(days=args.older_than_days))
        finally:
            await log.close()

    count = asyncio.run(erase())
    print(f"erased the text of {counted(count, 'record')}")
    return 0


def _rotate(args: argparse.Namespace) -> int:
    data_dir = data_dir_of(args)
    paths = EvidencePaths.of(data_dir)
    if not paths.key.exists():
        raise CommandError(f"no signing key at {paths.key}")
    new = rotate_key(paths.key, log_origin(data_dir), SystemClock().now())
    print(new.encode())
    return 0


def log_key_chain(data_dir: Path) -> list[VerifierKey]:
    """The log's keys from the first (the trust anchor) to the one signing now."""
    paths = EvidencePaths.of(existing_log(data_dir))
    if not paths.key.exists():
        raise CommandError(f"no signing key at {paths.key}")
    current = VerifierKey.of(log_origin(data_dir), load_private_key(paths.key))
    try:
        return follow_chain(current, read_statements(paths.key, current))
    except NoteError as error:
        raise CommandError(f"the key rotations in {paths.key.parent} do not chain: {error}",
                           1) from error


def _log_key(args: argparse.Namespace) -> int:
    chain = log_key_chain(data_dir_of(args))
    print((chain[-1] if args.current else chain[0]).encode())
    return 0
