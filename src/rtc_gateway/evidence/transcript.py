"""Human-readable transcripts of a conversation (HTML and PDF) for the case file, in French.

They are renderings for reading only: the records and proofs in the bundle are the
evidence, and the verifier never trusts these files. The words are in
``transcript_wording``.
"""

import html
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from rtc_gateway.evidence.transcript_wording import TranscriptLine, local_and_utc

if TYPE_CHECKING:
    from fpdf import FPDF

FONTS = Path("/usr/share/fonts/truetype/dejavu")
UNICODE_FONT = FONTS / "DejaVuSans.ttf"
UNICODE_BOLD = FONTS / "DejaVuSans-Bold.ttf"
NOTICE = ("Ce document est une mise en forme destinée à la lecture. La preuve est le fichier"
          " records.json du dossier et ses preuves cryptographiques, que vérifie la commande"
          " rtc-gateway verify (voir README.txt).")
TIMES = ("Les heures sont données à l'heure de Paris, avec son décalage, puis en temps"
         " universel (UTC).")

__all__ = ["TranscriptHeader", "TranscriptLine", "render_html", "render_pdf"]


@dataclass(frozen=True, slots=True)
class TranscriptHeader:
    conversation_id: str
    origin: str
    checkpoint_size: int
    checkpoint_root_b64: str
    exported_at: datetime
    exported_by: str
    reason: str

    def facts(self) -> list[tuple[str, str]]:
        return [
            ("Journal de preuve", self.origin),
            ("Point de contrôle", f"{self.checkpoint_size} enregistrements,"
                                        f" racine {self.checkpoint_root_b64}"),
            ("Exporté le", local_and_utc(self.exported_at)),
            ("Exporté par", self.exported_by),
            ("Motif de l'export", self.reason),
        ]


def render_html(header: TranscriptHeader, lines: list[TranscriptLine]) -> str:
    e = html.escape
    facts = "\n".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in header.facts())
    rows = "\n".join(
        "<tr>"
        f"<td class=\"when\">{e(local_and_utc(line.at))}</td>"
        f"<td><strong>{e(line.title)}</strong><br>{e(line.actor)}</td>"
        f'<td><div class="text">{e(line.text or "")}</div>'
        + "".join(f'<div class="detail">{e(d)}</div>' for d in line.details)
        + "</td></tr>"
        for line in lines
    )
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Transcription de la conversation {e(header.conversation_id)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; line-height: 1.45; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border: 1px solid #bbb; padding: 6px 8px; vertical-align: top; text-align: left; }}
td.when {{ white-space: nowrap; font-size: 0.9em; }}
div.text {{ white-space: pre-wrap; }}
div.detail {{ color: #444; font-size: 0.9em; }}
</style>
</head>
<body>
<h1>Transcription de la conversation {e(header.conversation_id)}</h1>
<table class="facts">
{facts}
</table>
<p>{e(NOTICE)}</p>
<p>{e(TIMES)}</p>
<table>
<tr><th>Heure</th><th>Événement</th><th>Texte et détails</th></tr>
{rows}
</table>
</body>
</html>
"""


class _Layout:
    MARGIN = 18.0
    INDENT = 6.0


def render_pdf(header: TranscriptHeader, lines: list[TranscriptLine]) -> bytes:
    from fpdf import FPDF  # a second to import: only when a transcript is made

    class Transcript(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(family, size=8)
            self.set_text_color(110)
            self.cell(0, 5, _fit(family, f"Conversation {header.conversation_id}"
                                          f" — page {self.page_no()}/{{nb}}"), align="C")

    pdf = Transcript(format="A4")
    family = _font(pdf)
    pdf.set_margins(_Layout.MARGIN, _Layout.MARGIN, _Layout.MARGIN)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(f"Transcription de la conversation {header.conversation_id}")
    pdf.set_lang("fr")
    pdf.add_page()
    pdf.set_font(family, "B", size=15)
    _paragraph(pdf, family, 8, "Transcription de la conversation")
    pdf.set_font(family, size=11)
    _paragraph(pdf, family, 6, header.conversation_id)
    pdf.ln(3)
    for label, value in header.facts():
        _fact(pdf, family, label, value)
    pdf.ln(2)
    pdf.set_font(family, size=8.5)
    pdf.set_text_color(70)
    for text in (NOTICE, TIMES):
        _paragraph(pdf, family, 4.2, text)
        pdf.ln(1)
    pdf.set_text_color(0)
    for line in lines:
        _event(pdf, family, line)
    return bytes(pdf.output())


def _fact(pdf: "FPDF", family: str, label: str, value: str) -> None:
    pdf.set_font(family, "B", size=9)
    pdf.cell(45, 5, _fit(family, label))
    pdf.set_font(family, size=9)
    _paragraph(pdf, family, 5, value)


def _event(pdf: "FPDF", family: str, line: TranscriptLine) -> None:
    pdf.ln(2.5)
    pdf.set_draw_color(200)
    pdf.line(_Layout.MARGIN, pdf.get_y(), pdf.w - _Layout.MARGIN, pdf.get_y())
    pdf.ln(1.5)
    pdf.set_font(family, size=8.5)
    pdf.set_text_color(90)
    _paragraph(pdf, family, 4.5, local_and_utc(line.at))
    pdf.set_text_color(0)
    pdf.set_font(family, "B", size=10.5)
    _paragraph(pdf, family, 5.5, f"{line.title} — {line.actor}")
    pdf.set_left_margin(_Layout.MARGIN + _Layout.INDENT)
    pdf.set_x(_Layout.MARGIN + _Layout.INDENT)
    if line.text:
        pdf.ln(0.5)
        pdf.set_font(family, size=11)
        _paragraph(pdf, family, 5.8, line.text)
    if line.details:
        pdf.set_font(family, size=9)
        pdf.set_text_color(60)
        for detail in line.details:
            _paragraph(pdf, family, 4.8, detail)
        pdf.set_text_color(0)
    pdf.set_left_margin(_Layout.MARGIN)
    pdf.set_x(_Layout.MARGIN)


def _paragraph(pdf: "FPDF", family: str, height: float, text: str) -> None:
    pdf.multi_cell(0, height, _fit(family, text), new_x="LMARGIN", new_y="NEXT", align="L")


def _font(pdf: "FPDF") -> str:
    """DejaVu (all of Unicode) when installed, else the core Helvetica (Latin-1 only)."""
    if UNICODE_FONT.exists() and UNICODE_BOLD.exists():
        pdf.add_font("DejaVu", fname=str(UNICODE_FONT))
        pdf.add_font("DejaVu", style="B", fname=str(UNICODE_BOLD))
        return "DejaVu"
    return "Helvetica"


def _fit(family: str, text: str) -> str:
    """Characters the font cannot draw (emoji in DejaVu; all but Latin-1 in the core
    Helvetica) are written as their code point, ``[U+1F64F]``, so none silently vanishes."""
    drawable = _latin1 if family == "Helvetica" else _dejavu_has
    return "".join(c if drawable(c) else f"[U+{ord(c):04X}]" for c in text)


def _latin1(char: str) -> bool:
    return ord(char) < 256


@cache
def _dejavu_characters() -> frozenset[int]:
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # comes with fpdf2

    with TTFont(str(UNICODE_FONT), lazy=True) as font:
        return frozenset(font.getBestCmap())


def _dejavu_has(char: str) -> bool:
    return char in "\n\t" or ord(char) in _dejavu_characters()
