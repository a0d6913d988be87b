"""``rtc-gateway purge-pre-complaints``: run the purge of unhonoured pre-complaints once
(the gateway also runs it every ``case_purge_interval_s``). Safe while a server runs on
the same data directory, as ``erase-expired`` is."""

import argparse
import asyncio
from pathlib import Path
from typing import Any

from rtc_gateway.adapters.sqlite.case_store import SqliteCaseStore
from rtc_gateway.cli_support import add_data_dir, counted, data_dir_of, existing_log
from rtc_gateway.evidence.commands import open_log
from rtc_gateway.ports.clock import Clock, SystemClock
from rtc_gateway.services.cases.purge import PreComplaintPurge


def add_purge_command(commands: "argparse._SubParsersAction[Any]") -> None:
    command = commands.add_parser(
        "purge-pre-complaints",
        help="delete pre-complaints whose appointment was not honoured 30 days ago")
    add_data_dir(command, "the gateway's cases and evidence log")
    command.set_defaults(handler=run_purge)


async def purge_data_dir(data_dir: Path, clock: Clock) -> list[str]:
    """The references purged from ``data_dir``'s cases, each with its evidence record."""
    log = open_log(data_dir, clock)
    store = SqliteCaseStore(data_dir / "cases.db")
    await log.start()
    try:
        await store.open()
        try:
            return await PreComplaintPurge(store, log, clock, eraser=log).run()
        finally:
            await store.close()
    finally:
        await log.close()


def run_purge(args: argparse.Namespace) -> int:
    data_dir = existing_log(data_dir_of(args))
    purged = asyncio.run(purge_data_dir(data_dir, SystemClock()))
    print(f"purged {counted(len(purged), 'pre-complaint')}")
    for reference in purged:
        print(reference)
    return 0
