"""Attachment types are recognised by their first bytes alone."""

import pytest

from rtc_gateway.domain.attachments import JPEG, PDF, PNG, is_sha256, sniff


@pytest.mark.parametrize("head, expected", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", JPEG),
    (b"\x89PNG\r\n\x1a\n\x00\x00", PNG),
    (b"%PDF-1.7\n", PDF),
    (b"<svg xmlns=", None),
    (b"<!doctype html>", None),
    (b"GIF89a", None),
    (b"\x89PNG\r\n", None),
    (b"  %PDF-1.7", None),
    (b"", None),
])
def test_sniff(head: bytes, expected: str | None) -> None:
    assert sniff(head) == expected


def test_is_sha256() -> None:
    assert is_sha256("a" * 64)
    assert not is_sha256("A" * 64) and not is_sha256("a" * 63) and not is_sha256("../" * 21 + "a")
