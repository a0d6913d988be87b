"""Command-line subcommands of the evidence log: export, verify, erase-expired, rotate-key,
log-key.

Data directory layout: ``DIR/evidence.db``, ``DIR/keys/log-signing.key`` (with
``DIR/keys/rotations/``; ``RTC_GATEWAY_KEYS_DIR`` moves the keys), ``DIR/recordings/``
and ``DIR/attachments/``. With ``--database-url`` the log is the PostgreSQL one the nodes
share, and the data directory holds the keys, recordings and attachments only. These
commands may run while servers use the same log: it is safe with several writers. Which
adapter opens the log is the caller's choice (an :class:`EvidenceSource`, see
``cli_wiring``).
"""

import argparse
import asyncio
import getpass
import os
import zipfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from rtc_gateway.cli_support import (
    EXIT_FAILED,
    CommandError,
    add_data_dir,
    counted,
    non_negative,
    tool_settings,
)
from rtc_gateway.config import ENV_PREFIX
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
from rtc_gateway.ports.clock import SystemClock
from rtc_gateway.ports.evidence_archive import EvidenceArchive
from rtc_gateway.ports.evidence_source import EvidenceSource, LogPlace, LogUnavailable, NoLog
from rtc_gateway.security.keys import load_private_key

_T = TypeVar("_T")
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


def add_database_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url", default=os.environ.get(ENV_PREFIX + "DATABASE_URL") or None,
        help="postgresql://... of a log shared by several nodes (default:"
             " RTC_GATEWAY_DATABASE_URL; without it, the data directory's SQLite log)")


def database_url_of(args: argparse.Namespace) -> str | None:
    url: str | None = getattr(args, "database_url", None)
    if url is not None and not url.startswith(("postgresql://", "postgres://")):
        raise CommandError("--database-url must be a postgresql:// URL")
    return url


def place_of(args: argparse.Namespace) -> LogPlace:
    """Where the log of a command is: ``--data-dir`` (keys as ``serve`` finds them) and
    ``--database-url`` when given."""
    url = database_url_of(args)
    settings = tool_settings(args.data_dir)
    return LogPlace(settings.data_dir, settings.log_key_path, url)


def existing_place(logs: EvidenceSource, args: argparse.Namespace) -> LogPlace:
    """The place of the command, once it is known to hold a log (else a usage error)."""
    place = place_of(args)
    try:
        logs.check_exists(place)
    except NoLog as error:
        raise CommandError(str(error)) from None
    return place


def run_on_log(logs: EvidenceSource, place: LogPlace,
               job: Callable[[EvidenceArchive], Awaitable[_T]]) -> _T:
    """Run ``job`` on the opened log; a storage failure exits 1 with its reason."""
    try:
        return asyncio.run(logs.using(place, job))
    except NoLog as error:
        raise CommandError(str(error)) from None
    except LogUnavailable as error:
        raise CommandError(str(error), EXIT_FAILED) from error


def origin_of(logs: EvidenceSource, place: LogPlace) -> str:
    try:
        return asyncio.run(logs.origin(place))
    except NoLog as error:
        raise CommandError(str(error)) from None
    except LogUnavailable as error:
        raise CommandError(str(error), EXIT_FAILED) from error


async def export_from(
    logs: EvidenceSource,
    place: LogPlace,
    conversation_id: str,
    out_path: Path,
    *,
    reason: str,
    actor_role: str,
    actor_id: str,
    include_media: bool = True,
    earlier_checkpoints: Sequence[str] = (),
) -> Path:
    """Open the log, export one conversation, close the log."""

    async def export(log: EvidenceArchive) -> Path:
        return await export_conversation(
            log, place.recordings, conversation_id, out_path, reason=reason,
            actor_role=actor_role, actor_id=actor_id, include_media=include_media,
            earlier_checkpoints=earlier_checkpoints,
            attachments=logs.attachment_files(place))

    return await logs.using(place, export)


def add_evidence_commands(
    subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]",
    logs: EvidenceSource,
) -> None:
    export = subparsers.add_parser("export", help="write the evidence bundle of a conversation")
    add_data_dir(export, "the keys and recordings, and the SQLite log")
    add_database_url(export)
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
    export.set_defaults(handler=lambda args: _export(logs, args))

    check = subparsers.add_parser("verify", help="verify an evidence bundle offline")
    verify.add_arguments(check)
    check.set_defaults(handler=_verify)

    erase = subparsers.add_parser(
        "erase-expired", help="erase texts older than the retention period (keeps the proofs)"
    )
    add_data_dir(erase)
    add_database_url(erase)
    erase.add_argument("--older-than-days", type=non_negative, required=True, metavar="DAYS",
                       help="the retention period, in days (0 or more)")
    erase.set_defaults(handler=lambda args: _erase(logs, args))

    rotate = subparsers.add_parser("rotate-key", help="replace the log's signing key")
    add_data_dir(rotate, "the keys (every node's, when they share one log)")
    add_database_url(rotate)
    rotate.set_defaults(handler=lambda args: _rotate(logs, args))

    key = subparsers.add_parser(
        "log-key", help="print the log's public key, to publish for verify --trusted-key")
    add_data_dir(key)
    add_database_url(key)
    key.add_argument("--current", action="store_true",
                     help="the key signing now rather than the first key (the trust anchor)")
    key.set_defaults(handler=lambda args: _log_key(logs, args))


def _export(logs: EvidenceSource, args: argparse.Namespace) -> int:
    place = existing_place(logs, args)
    try:
        earlier = [verify.read_checkpoint_file(path) for path in args.consistency_from]
    except (OSError, UnicodeDecodeError, KeyError, zipfile.BadZipFile) as error:
        raise CommandError(f"cannot read the checkpoint: {error}") from error
    try:
        path = asyncio.run(
            export_from(
                logs,
                place,
                args.conversation,
                args.out,
                reason=args.reason,
                actor_role="operator",
                actor_id=args.actor or getpass.getuser(),
                include_media=not args.no_media,
                earlier_checkpoints=earlier,
            )
        )
    except NoLog as error:
        raise CommandError(str(error)) from None
    except LogUnavailable as error:
        raise CommandError(str(error), EXIT_FAILED) from error
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


def _erase(logs: EvidenceSource, args: argparse.Namespace) -> int:
    place = existing_place(logs, args)

    async def erase(log: EvidenceArchive) -> int:
        return await erase_expired(log, log.clock.now(), timedelta(days=args.older_than_days))

    count = run_on_log(logs, place, erase)
    print(f"erased the text of {counted(count, 'record')}")
    return 0


def _rotate(logs: EvidenceSource, args: argparse.Namespace) -> int:
    """Running nodes that share the key directory sign with the new key from their next
    checkpoint on: the log adapters re-read the key file whenever it changed."""
    place = place_of(args)
    if not place.key_path.exists():
        raise CommandError(f"no signing key at {place.key_path}")
    new = rotate_key(place.key_path, origin_of(logs, place), SystemClock().now())
    print(new.encode())
    return 0


def log_key_chain(logs: EvidenceSource, place: LogPlace) -> list[VerifierKey]:
    """The log's keys from the first (the trust anchor) to the one signing now."""
    try:
        logs.check_exists(place)
    except NoLog as error:
        raise CommandError(str(error)) from None
    if not place.key_path.exists():
        raise CommandError(f"no signing key at {place.key_path}")
    current = VerifierKey.of(origin_of(logs, place), load_private_key(place.key_path))
    try:
        return follow_chain(current, read_statements(place.key_path, current))
    except NoteError as error:
        raise CommandError(f"the key rotations in {place.key_path.parent} do not chain:"
                           f" {error}", 1) from error


def _log_key(logs: EvidenceSource, args: argparse.Namespace) -> int:
    chain = log_key_chain(logs, place_of(args))
    print((chain[-1] if args.current else chain[0]).encode())
    return 0
