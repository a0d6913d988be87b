"""Checks an attachment's content really is what its first bytes say, and strips the
metadata of images on request.

Images are fully decoded (Pillow) so a file that only starts like a JPEG or PNG is
refused; stripping re-encodes the pixels alone (orientation applied first), so EXIF,
GPS, XMP, IPTC and text chunks are all gone. A PDF is checked by its header and its
``%%EOF`` trailer; it is stored as sent (no stripping).
"""

import io
import os
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from rtc_gateway.domain.attachments import IMAGE_TYPES, JPEG, PDF, PNG, UnsupportedType
from rtc_gateway.domain.errors import TooLarge

_PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG"}
_KEPT_INFO = ("transparency", "icc_profile")
"""What a stripped image keeps of its source's information: colours, not metadata."""
PDF_TRAILER_WINDOW = 1024


@dataclass(frozen=True, slots=True)
class CheckedContent:
    content_type: str
    stripped: bytes | None
    """The re-encoded image without metadata, when stripping was asked for an image."""


def check_content(handle: BinaryIO, content_type: str, *, strip: bool,
                  max_pixels: int) -> CheckedContent:
    if content_type in IMAGE_TYPES:
        return CheckedContent(content_type,
                              _check_image(handle, content_type, strip, max_pixels))
    if content_type == PDF:
        _check_pdf(handle)
        return CheckedContent(content_type, None)
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


def _check_pdf(handle: BinaryIO) -> None:
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - PDF_TRAILER_WINDOW))
    if b"%%EOF" not in handle.read():
        raise UnsupportedType("the file is not a complete PDF (no %%EOF trailer)")
