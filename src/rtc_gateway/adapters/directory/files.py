"""The directory from CSV files: the data directory's imported national files
(``directory/stations.csv``, ``directory/competence.csv``, written by
``rtc-gateway data import``) or, for a kind not imported, the shipped sample."""

import logging
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import TypeVar

from rtc_gateway.adapters.directory.csv_rows import read_rows
from rtc_gateway.domain.directory import Commune, Directory, Station
from rtc_gateway.domain.directory_rows import RowError, commune_of, station_of

log = logging.getLogger(__name__)
KINDS = ("stations", "competence")
_T = TypeVar("_T")


def sample_path(kind: str) -> Path:
    return Path(str(resources.files("rtc_gateway").joinpath(f"data/directory/sample-{kind}.csv")))


def imported_path(data_dir: Path, kind: str) -> Path:
    return data_dir / "directory" / f"{kind}.csv"


def parsed(path: Path, parse: Callable[[dict[str, str]], _T]) -> Iterator[_T]:
    """Every usable row; an unusable one is skipped (the importer has reported it)."""
    _, rows = read_rows(path)
    skipped = 0
    for _, row in rows:
        try:
            if "\0error" in row:
                raise RowError(row["\0error"])
            yield parse(row)
        except RowError:
            skipped += 1
    if skipped:
        log.warning("directory rows skipped", extra={"file": str(path), "skipped": skipped})


class FileUnitDirectory:
    """Read at the first call: the gateway makes it at start, not at the first request
    (the national files take a moment to read)."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._loaded: Directory | None = None

    def path_of(self, kind: str) -> Path:
        imported = imported_path(self._data_dir, kind)
        return imported if imported.is_file() else sample_path(kind)

    def directory(self) -> Directory:
        if self._loaded is None:
            communes: list[Commune] = list(parsed(self.path_of("competence"), commune_of))
            stations: list[Station] = list(parsed(self.path_of("stations"), station_of))
            self._loaded = Directory.of(communes, stations)
            log.info("units directory loaded", extra={
                "communes": len(self._loaded.communes), "stations": len(self._loaded.stations),
                "sample": [k for k in KINDS if self.path_of(k) == sample_path(k)]})
        return self._loaded
