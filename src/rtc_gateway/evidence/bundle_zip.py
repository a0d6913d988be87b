"""The exact zip layout of a bundle, so that a verifier can account for every byte.

A bundle is a plain zip file (PKWARE APPNOTE 6.3) with nothing optional in it: members
are stored uncompressed, in order, each as a local header and its data, then the
central directory and the end record; no extra fields, comments, data descriptors,
encryption or zip64; every time stamp is 1980-01-01 00:00; names are UTF-8 (flag bit
11 set when not ASCII). So the whole file is determined by its members' names and
contents, and :func:`check_layout` can rebuild every header and compare.

Standard library only. Limits: under 65,535 members and 4 GiB in all.
"""

import hashlib
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

LOCAL = struct.Struct("<IHHHHHIIIHH")
CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
END = struct.Struct("<IHHHHIIH")
VERSION = 20
MADE_BY = (3 << 8) | VERSION  # Unix, 2.0
DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
DOS_TIME = 0
FILE_MODE = 0o100644 << 16
LIMIT = 0xFFFFFFFF


class LayoutError(ValueError):
    """The file is not laid out as a bundle must be."""


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    crc: int
    size: int
    offset: int

    @property
    def encoded_name(self) -> bytes:
        return self.name.encode("utf-8")

    @property
    def flags(self) -> int:
        return 0 if self.name.isascii() else 0x800

    def local_header(self) -> bytes:
        name = self.encoded_name
        return (
            LOCAL.pack(
                0x04034B50,
                VERSION,
                self.flags,
                0,
                DOS_TIME,
                DOS_DATE,
                self.crc,
                self.size,
                self.size,
                len(name),
                0,
            )
            + name
        )

    def central_header(self) -> bytes:
        name = self.encoded_name
        return (
            CENTRAL.pack(
                0x02014B50,
                MADE_BY,
                VERSION,
                self.flags,
                0,
                DOS_TIME,
                DOS_DATE,
                self.crc,
                self.size,
                self.size,
                len(name),
                0,
                0,
                0,
                0,
                FILE_MODE,
                self.offset,
            )
            + name
        )


def end_record(members: list[Member], central_size: int, central_offset: int) -> bytes:
    count = len(members)
    return END.pack(0x06054B50, 0, 0, count, count, central_size, central_offset, 0)


class BundleWriter:
    """Writes members one after the other to a seekable file, then the directory."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.members: list[Member] = []

    def add_bytes(self, name: str, content: bytes) -> str:
        """Add a member; return the SHA-256 (hex) of its content."""
        return self._add(name, [content])

    def add_file(self, name: str, source: Path, chunk: int = 1 << 20) -> str:
        with open(source, "rb") as handle:
            return self._add(name, iter(lambda: handle.read(chunk), b""))

    def _add(self, name: str, chunks: Iterable[bytes]) -> str:
        offset = self._out.tell()
        placeholder = Member(name, 0, 0, offset)
        self._out.write(placeholder.local_header())
        crc, size = 0, 0
        digest = hashlib.sha256()
        for piece in chunks:
            crc = zlib.crc32(piece, crc)
            digest.update(piece)
            size += len(piece)
            self._out.write(piece)
        end = self._out.tell()
        if end > LIMIT or len(self.members) >= 0xFFFF:
            raise LayoutError("a bundle holds at most 4 GiB and 65,534 files")
        member = Member(name, crc, size, offset)
        self._out.seek(offset)
        self._out.write(member.local_header())
        self._out.seek(end)
        self.members.append(member)
        return digest.hexdigest()

    def finish(self) -> None:
        central_offset = self._out.tell()
        central = b"".join(m.central_header() for m in self.members)
        if central_offset + len(central) > LIMIT:
            raise LayoutError("a bundle holds at most 4 GiB")
        self._out.write(central)
        self._out.write(end_record(self.members, len(central), central_offset))


def check_layout(handle: BinaryIO, members: list[Member], file_size: int) -> None:
    """Raise :class:`LayoutError` unless the file is exactly the bundle layout of
    ``members`` (as listed by the central directory), byte for byte outside the data."""
    position = 0
    for member in members:
        if member.offset != position:
            raise LayoutError(f"unexpected bytes before {member.name}")
        header = member.local_header()
        handle.seek(position)
        if handle.read(len(header)) != header:
            raise LayoutError(f"the local header of {member.name} is not in the bundle layout")
        position += len(header) + member.size
    central = b"".join(m.central_header() for m in members)
    handle.seek(position)
    if handle.read(len(central)) != central:
        raise LayoutError("the central directory is not in the bundle layout")
    end = end_record(members, len(central), position)
    if handle.read(len(end)) != end:
        raise LayoutError("the end record is not in the bundle layout")
    if position + len(central) + len(end) != file_size:
        raise LayoutError("the file has bytes after the end record")
