"""The units' lookup over the shipped sample directory, for tests that build services."""

import tempfile
from pathlib import Path

from rtc_gateway.adapters.directory.files import FileUnitDirectory
from rtc_gateway.domain.zones import load_default_zones
from rtc_gateway.ports.clock import SystemClock
from rtc_gateway.services.units import UnitFinder


def sample_units(data_dir: Path | None = None) -> UnitFinder:
    """A data directory with nothing imported: the shipped sample answers."""
    folder = data_dir if data_dir is not None else Path(tempfile.mkdtemp(prefix="units-"))
    return UnitFinder(FileUnitDirectory(folder), load_default_zones(), SystemClock())
