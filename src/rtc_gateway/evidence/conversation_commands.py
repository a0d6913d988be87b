"""``rtc-gateway conversations list|show``: find a conversation in the evidence log (to
export it, say). Read-only; prints ids, states and counts, never a message text: texts
leave the log only through ``export``, which is itself logged."""

import argparse
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from rtc_gateway.cli_support import (
    CommandError,
    add_data_dir,
    counted,
    positive_int,
)
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.evidence.commands import add_database_url, existing_place, run_on_log
from rtc_gateway.evidence.conversation_summary import (
    CLOSED,
    OPEN,
    ConversationSummary,
    summarise,
)
from rtc_gateway.ports.evidence_archive import EvidenceArchive
from rtc_gateway.ports.evidence_log import LoggedRecord, RecordKind
from rtc_gateway.ports.evidence_source import EvidenceSource

_AGO = re.compile(r"^(\d+(?:\.\d+)?)([mhd])$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}


def add_conversation_commands(
    subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]",
    logs: EvidenceSource,
) -> None:
    group = subparsers.add_parser(
        "conversations", help="list the conversations of the evidence log, show one")
    actions = group.add_subparsers(dest="action", required=True)

    listing = actions.add_parser("list", help="conversations, newest first")
    add_data_dir(listing)
    add_database_url(listing)
    listing.add_argument("--status", choices=[OPEN, CLOSED], help="only open or only closed")
    listing.add_argument("--open", dest="status", action="store_const", const=OPEN,
                         help="only open conversations (same as --status open)")
    listing.add_argument("--since", type=since_instant, metavar="WHEN",
                         help="opened at or after WHEN: 2026-11-30, 2026-11-30T08:00Z"
                              " (times without offset are UTC) or 30m, 12h, 7d ago")
    listing.add_argument("--limit", type=positive_int, default=50,
                         help="at most this many (50)")
    listing.add_argument("--json", action="store_true", help="one JSON array on stdout")
    listing.set_defaults(handler=lambda args: cmd_conversations_list(logs, args))

    show = actions.add_parser("show", help="one conversation: its state and its records")
    add_data_dir(show)
    add_database_url(show)
    show.add_argument("conversation", metavar="ID", help="conversation id (cv_...)")
    show.add_argument("--json", action="store_true", help="one JSON object on stdout")
    show.set_defaults(handler=lambda args: cmd_conversations_show(logs, args))


def since_instant(value: str, now: datetime | None = None) -> datetime:
    """An argparse type: an ISO 8601 date or time (UTC unless it has an offset), or
    a duration ago."""
    ago = _AGO.match(value.strip())
    if ago:
        seconds = float(ago.group(1)) * _UNIT_SECONDS[ago.group(2)]
        return (now or datetime.now(UTC)) - timedelta(seconds=seconds)
    try:
        instant = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is neither a date (2026-11-30), a time (2026-11-30T08:00Z)"
            " nor a duration (30m, 12h, 7d)") from None
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


async def find_conversations(
    log: EvidenceArchive, status: str | None, since: datetime | None, limit: int
) -> list[ConversationSummary]:
    """Newest first, at most ``limit``."""
    still_open = set(await log.open_conversation_ids()) if status else set()
    found: list[ConversationSummary] = []
    for conversation_id in reversed(await log.opened_conversation_ids(since)):
        if status is not None and (conversation_id in still_open) != (status == OPEN):
            continue
        found.append(summarise(await log.conversation_records(conversation_id)))
        if len(found) == limit:
            break
    return found


def cmd_conversations_list(logs: EvidenceSource, args: argparse.Namespace) -> int:
    place = existing_place(logs, args)
    found = run_on_log(logs, place, lambda log: find_conversations(
        log, args.status, args.since, args.limit))
    if args.json:
        print(json.dumps([summary.as_json() for summary in found], ensure_ascii=False, indent=1))
    elif found:
        print(table(found))
    else:
        print("no conversation matches")
    return 0


def cmd_conversations_show(logs: EvidenceSource, args: argparse.Namespace) -> int:
    place = existing_place(logs, args)
    records = run_on_log(logs, place, lambda log: log.conversation_records(args.conversation))
    if not records:
        raise CommandError(
            f"no conversation {args.conversation} in the evidence log"
            " (rtc-gateway conversations list shows them)")
    summary = summarise(records)
    if args.json:
        content = {"summary": summary.as_json(), "records": [_record_json(r) for r in records]}
        print(json.dumps(content, ensure_ascii=False, indent=1))
    else:
        print(details(summary, records))
    return 0


# -- rendering ----------------------------------------------------------------------

_COLUMNS = ("ID", "STATUS", "OPENED (UTC)", "TOPIC", "FORCE", "PRIORITY", "MESSAGES", "OFFICERS")


def table(found: Sequence[ConversationSummary]) -> str:
    rows = [_COLUMNS] + [
        (
            s.conversation_id,
            s.status,
            _minute(s.opened_at),
            (s.topic or "-") + (" (discreet)" if s.discreet else ""),
            s.service or "-",
            s.priority or "-",
            str(s.messages),
            ", ".join(s.agents) or "-",
        )
        for s in found
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        + "  " + row[-1]
        for row in rows
    )


def details(summary: ConversationSummary, records: Sequence[LoggedRecord]) -> str:
    s = summary
    closed = (f"{format_utc(s.closed_at)} ({s.close_reason or 'no reason given'})"
              if s.closed_at else "-")
    lines = [
        f"conversation {s.conversation_id} ({s.status})",
        f"  opened     {format_utc(s.opened_at)} by citizen {s.citizen_id}",
        f"  topic      {s.topic or '-'}" + (", discreet alert" if s.discreet else ""),
        f"  force      {s.service or '-'}, priority {s.priority or '-'}",
        f"  officers   {', '.join(s.agents) or '-'}",
        f"  activity   {counted(s.messages, 'message')}, {counted(s.video_calls, 'video call')},"
        f" {counted(s.exports, 'export')}; last record {format_utc(s.last_at)}",
        f"  closed     {closed}",
        "",
        f"{counted(len(records), 'record')} (texts are in the export bundle only):",
    ]
    lines += [_record_line(r) for r in records]
    return "\n".join(lines)


def _record_line(record: LoggedRecord) -> str:
    what = (f"seq {record.seq}" if record.kind == RecordKind.MESSAGE
            else " ".join(f"{k}={_compact(v)}" for k, v in sorted(record.data.items())))
    return (f"  {record.conversation_index:>4}  {format_utc(record.at)}  {record.kind:<24}"
            f"  {record.actor_role} {record.actor_id}  {what}").rstrip()


def _record_json(record: LoggedRecord) -> dict[str, Any]:
    return {
        "index": record.index,
        "conversation_index": record.conversation_index,
        "at": format_utc(record.at),
        "kind": record.kind,
        "actor": {"role": record.actor_role, "id": record.actor_id},
        "seq": record.seq,
        "data": dict(record.data),
    }


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _minute(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
