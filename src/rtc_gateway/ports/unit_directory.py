"""Where the units' directory comes from (shipped sample files, or the national files an
operator imported into the data directory)."""

from typing import Protocol

from rtc_gateway.domain.directory import Directory


class UnitDirectory(Protocol):
    def directory(self) -> Directory:
        """The directory as loaded (the same object on every call)."""
        ...
