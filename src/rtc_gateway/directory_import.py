"""``rtc-gateway data import KIND FILE``: read a national open-data file (the stations
open to the public, or the competence by commune), check every row, and write the rows
that can be used into the data directory, where the gateway reads them at start.

Each skipped row is reported on stderr with its line and the reason, then a count per
reason; stdout gets one summary line. Exit status: 0 imported, 1 no usable row (nothing
written), 2 a usage error (unknown columns, unreadable file). A kind imported replaces
the shipped sample of that kind; a running gateway reads it at its next start.
"""

import argparse
import csv
import io
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rtc_gateway.adapters.directory.csv_rows import UnreadableFile, read_rows
from rtc_gateway.adapters.directory.files import imported_path
from rtc_gateway.cli_support import EXIT_FAILED, CommandError, add_data_dir, tool_settings
from rtc_gateway.domain.directory import Commune, Station, with_unique_ids
from rtc_gateway.domain.directory_rows import (
    COMMUNE_COLUMNS,
    STATION_COLUMNS,
    RowError,
    commune_of,
    commune_row,
    missing_columns,
    station_of,
    station_row,
)
from rtc_gateway.security.private_files import open_private, private_dir

SKIPS_LISTED = 50
"""Skipped rows reported one by one; past this many, only the counts per reason."""


def add_data_commands(commands: "argparse._SubParsersAction[Any]") -> None:
    data = commands.add_parser("data", help="the units' directory files")
    actions = data.add_subparsers(dest="action", required=True)
    command = actions.add_parser(
        "import", help="import a national file (stations or competence) into the data "
                       "directory, reporting the rows skipped")
    command.add_argument("kind", choices=["stations", "competence"])
    command.add_argument("file", type=Path)
    add_data_dir(command, "the gateway that will read the directory")
    command.add_argument("--dry-run", action="store_true",
                         help="check and report only; write nothing")
    command.set_defaults(handler=run_import)


class Skips:
    def __init__(self) -> None:
        self.reasons: Counter[str] = Counter()
        self.listed = 0

    def skip(self, line: int, reason: str) -> None:
        self.reasons[_kind_of(reason)] += 1
        if self.listed < SKIPS_LISTED:
            print(f"line {line}: skipped: {reason}", file=sys.stderr)
            self.listed += 1

    @property
    def count(self) -> int:
        return sum(self.reasons.values())


def _kind_of(reason: str) -> str:
    """What a reason is about (its first word: a column, ``duplicate``, ``fields``), to
    count alike reasons together."""
    return reason.split(" ", 1)[0].rstrip(":")


def _stations(rows: Iterable[tuple[int, dict[str, str]]], skips: Skips) -> list[Station]:
    kept: list[Station] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, row in rows:
        try:
            if "\0error" in row:
                raise RowError(row["\0error"])
            station = station_of(row)
        except RowError as error:
            skips.skip(line, str(error))
            continue
        key = (station.name.lower(), station.insee, station.address.lower())
        if key in seen:
            skips.skip(line, f"duplicate of line {seen[key]}")
            continue
        seen[key] = line
        kept.append(station)
    return with_unique_ids(kept)


def _communes(rows: Iterable[tuple[int, dict[str, str]]], skips: Skips) -> list[Commune]:
    kept: dict[str, Commune] = {}
    lines: dict[str, int] = {}
    for line, row in rows:
        try:
            if "\0error" in row:
                raise RowError(row["\0error"])
            commune = commune_of(row)
        except RowError as error:
            skips.skip(line, str(error))
            continue
        if commune.insee in kept:
            skips.skip(line, f"duplicate of line {lines[commune.insee]} "
                             f"(commune {commune.insee})")
            continue
        kept[commune.insee] = commune
        lines[commune.insee] = line
    return list(kept.values())


def _write(path: Path, columns: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> None:
    """Replace ``path`` whole (a temporary file renamed over it), 0600."""
    private_dir(path.parent)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    temporary = path.with_name(path.name + ".tmp")
    with open_private(temporary) as out:
        out.write(buffer.getvalue().encode("utf-8"))
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def run_import(args: argparse.Namespace) -> int:
    try:
        header, rows = read_rows(args.file)
    except UnreadableFile as error:
        raise CommandError(str(error)) from None
    missing = missing_columns(args.kind, header)
    if missing:
        raise CommandError(f"{args.file} is not a {args.kind} file: no column "
                           f"{', '.join(missing)} (found: {', '.join(header)[:300]})")
    skips = Skips()
    columns: tuple[str, ...]
    written: list[tuple[str, ...]]
    to_row: Callable[[Any], tuple[str, ...]]
    if args.kind == "stations":
        items: list[Any] = _stations(rows, skips)
        columns, to_row = STATION_COLUMNS, station_row
    else:
        items = _communes(rows, skips)
        columns, to_row = COMMUNE_COLUMNS, commune_row
    written = [to_row(item) for item in items]
    for reason, count in sorted(skips.reasons.items()):
        print(f"skipped {count} row(s) for {reason}", file=sys.stderr)
    if not written:
        print(f"no usable {args.kind} row in {args.file}; nothing written "
              f"({skips.count} skipped)", file=sys.stderr)
        return EXIT_FAILED
    target = imported_path(tool_settings(args.data_dir).data_dir, args.kind)
    if not args.dry_run:
        _write(target, columns, written)
    print(f"{args.kind}: {len(written)} imported, {skips.count} skipped"
          + (" (dry run, nothing written)" if args.dry_run else f" -> {target}"))
    return 0
