"""Read an open-data CSV file: UTF-8 (with or without BOM) or, failing that, Latin-1;
semicolon, comma or tab separated, as the header line shows; column names lower-cased."""

import csv
import io
from collections.abc import Iterator
from pathlib import Path

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_FIELD_CHARS = 10_000


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (not its rows: those are skipped one by one)."""


def _text_of(path: Path) -> str:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise UnreadableFile(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MiB")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        raise UnreadableFile("the header line has no ; , or tab between column names")
    return best


def read_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The header's column names and the rows as ``(line number, {column: value})``."""
    text = _text_of(path)
    header_line = text.split("\n", 1)[0]
    csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(header_line))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise UnreadableFile(f"{path} is empty") from None

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield reader.line_num, {"\0error": f"fields: {error}"}
                continue
            if not any(v.strip() for v in values):
                continue
            yield reader.line_num, dict(zip(header, values, strict=False)) | (
                {"\0error": f"fields: {len(values)}, the header has {len(header)}"}
                if len(values) != len(header) else {})
    return header, rows()
