"""``rtc-gateway purge-pre-complaints``: run the purge of unhonoured pre-complaints once,
then the sweep of the data directory's unreferenced attachment files (the gateway also
runs both every ``case_purge_interval_s``). Safe while servers run on
the same log and cases, as ``erase-expired`` is; with ``--database-url`` it purges the
cases the nodes share."""

import argparse
import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from rtc_gateway.cli_support import add_data_dir, counted
from rtc_gateway.evidence.commands import add_database_url, existing_place
from rtc_gateway.ports.clock import Clock, SystemClock
from rtc_gateway.ports.evidence_source import EvidenceSource, LogPlace

Purge = Callable[[LogPlace, Clock], Coroutine[Any, Any, list[str]]]
"""Purge the place's cases with its log; the references purged (``cli_wiring``)."""


def add_purge_command(commands: "argparse._SubParsersAction[Any]", logs: EvidenceSource,
                      purge: Purge) -> None:
    command = commands.add_parser(
        "purge-pre-complaints",
        help="delete pre-complaints whose appointment was not honoured 30 days ago")
    add_data_dir(command, "the gateway's cases and evidence log")
    add_database_url(command)
    command.set_defaults(handler=lambda args: run_purge(args, logs, purge))


def run_purge(args: argparse.Namespace, logs: EvidenceSource, purge: Purge) -> int:
    place = existing_place(logs, args)
    purged = asyncio.run(purge(place, SystemClock()))
    print(f"purged {counted(len(purged), 'pre-complaint')}")
    for reference in purged:
        print(reference)
    return 0
