"""Files to attach in tests: real JPEG/PNG/PDF made here, and impostors."""

import io

from fpdf import FPDF
from PIL import ExifTags, Image, PngImagePlugin

GPS_LATITUDE = (48.0, 51.0, 24.0)
CAMERA = "PhoneOfTheVictim"


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    """A JPEG whose EXIF names a camera and a GPS position."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    exif[ExifTags.Base.Orientation] = 1
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 21.0, 7.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png_with_text() -> bytes:
    """A PNG with a text chunk naming the camera, and EXIF with GPS."""
    image = Image.new("RGBA", (32, 32), (0, 120, 200, 128))
    info = PngImagePlugin.PngInfo()
    info.add_text("Camera", CAMERA)
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=exif)
    return out.getvalue()


def pdf_receipt() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Facture du velo: 450 EUR")
    return bytes(pdf.output())


def gps_of(data: bytes) -> dict[int, object]:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))


HTML_AS_JPG = b"<!doctype html><script>alert(document.cookie)</script>"
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
       b'<script>alert(1)</script></svg>')
FAKE_JPEG = b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 20
"""Starts like a JPEG, decodes as nothing."""


PDF_AUTHOR = "Alice Victim"
PDF_PRODUCER = "ScannerOfTheVictim"
XMP_MARK = "CreatorToolOfTheVictim"


def pdf_with_metadata(pages: int = 2) -> bytes:
    """A PDF of ``pages`` pages whose information dictionary names an author and a
    producer, with an XMP stream naming a creator tool."""
    pdf = FPDF()
    pdf.set_author(PDF_AUTHOR)
    pdf.set_producer(PDF_PRODUCER)
    pdf.set_xmp_metadata(
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        f'xmp:CreatorTool="{XMP_MARK}"/></rdf:RDF>')
    pdf.set_font("helvetica", size=12)
    for number in range(pages):
        pdf.add_page()
        pdf.cell(text=f"Page {number + 1}")
    return bytes(pdf.output())
