"""Checks an attachment's content really is what its first bytes say, and strips its
metadata on request.

Images are fully decoded (Pillow) so a file that only starts like a JPEG or PNG is
refused; stripping re-encodes the pixels alone (orientation applied first), so EXIF,
GPS, XMP, IPTC and text chunks are all gone. A PDF needs its ``%%EOF`` trailer and must
parse (pypdf) with at least one page; stripping rewrites its pages into a new document
with no document information dictionary and no XMP stream (the catalog's or a page's).
"""

import io
import os
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from rtc_gateway.domain.attachments import IMAGE_TYPES, JPEG, PDF, PNG, UnsupportedType
from rtc_gateway.domain.errors import TooLarge

_PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG"}
_KEPT_INFO = ("transparency", "icc_profile")
"""What a stripped image keeps of its source's information: colours, not metadata."""
PDF_TRAILER_WINDOW = 1024
_PAGE_METADATA = ("/Metadata", "/PieceInfo")
"""What a stripped PDF's pages lose: their own XMP stream and private application data."""
_PDF_ERRORS = (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError,
               RecursionError, OSError, EOFError, ZeroDivisionError)
"""What pypdf may raise on a malformed file."""


@dataclass(frozen=True, slots=True)
class CheckedContent:
    content_type: str
    stripped: bytes | None
    """The re-encoded image or rewritten PDF without metadata, when stripping was asked."""


def check_content(handle: BinaryIO, content_type: str, *, strip: bool,
                  max_pixels: int) -> CheckedContent:
    if content_type in IMAGE_TYPES:
        return CheckedContent(content_type,
                              _check_image(handle, content_type, strip, max_pixels))
    if content_type == PDF:
        return CheckedContent(content_type, _check_pdf(handle, strip))
    raise UnsupportedType("only JPEG, PNG and PDF files are accepted")


def _check_image(handle: BinaryIO, content_type: str, strip: bool,
                 max_pixels: int) -> bytes | None:
    name = _PILLOW_FORMATS[content_type]
    try:
        with Image.open(handle, formats=[name]) as image:
            if image.width * image.height > max_pixels:
                raise TooLarge(f"the image is over {max_pixels} pixels")
            image.load()
            return _without_metadata(image, name) if strip else None
    except Image.DecompressionBombError:
        raise TooLarge(f"the image is over {max_pixels} pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        raise UnsupportedType(f"the file is not a readable {name} image") from error


def _without_metadata(image: Image.Image, name: str) -> bytes:
    upright = ImageOps.exif_transpose(image)
    kept = {key: image.info[key] for key in _KEPT_INFO if key in image.info}
    clean = upright.copy()
    clean.info = {}
    out = io.BytesIO()
    options: dict[str, object] = {}
    if "icc_profile" in kept:
        options["icc_profile"] = kept["icc_profile"]
    if name == "PNG" and "transparency" in kept:
        options["transparency"] = kept["transparency"]
    if name == "JPEG":
        options["quality"] = 92
    clean.save(out, name, **options)
    return out.getvalue()


def _check_pdf(handle: BinaryIO, strip: bool) -> bytes | None:
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - PDF_TRAILER_WINDOW))
    if b"%%EOF" not in handle.read():
        raise UnsupportedType("the file is not a complete PDF (no %%EOF trailer)")
    handle.seek(0)
    try:
        reader = PdfReader(handle)
        if reader.is_encrypted:  # its pages cannot be read without the password
            if strip:
                raise UnsupportedType("an encrypted PDF cannot be stripped of its metadata")
            return None
        if len(reader.pages) == 0:
            raise UnsupportedType("the PDF has no pages")
        return _pdf_without_metadata(reader) if strip else None
    except _PDF_ERRORS as error:
        raise UnsupportedType("the file is not a readable PDF") from error


def _pdf_without_metadata(reader: PdfReader) -> bytes:
    """The pages alone in a new document: the reader's catalog (its XMP) is not copied."""
    writer = PdfWriter()
    for page in reader.pages:
        added = writer.add_page(page)
        for key in _PAGE_METADATA:
            added.pop(key, None)
    writer.metadata = None
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
