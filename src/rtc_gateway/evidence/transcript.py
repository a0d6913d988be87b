"""Human-readable transcripts of a conversation (HTML and PDF) for the case file.

They are renderings for reading only: the records and proofs in the bundle are the
evidence, and the verifier never trusts these files.
"""

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fpdf import FPDF

UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
ERASED = "[text erased at the end of its retention period]"


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    at: str
    kind: str
    actor: str
    seq: int | None
    text: str | None
    details: str


@dataclass(frozen=True, slots=True)
class TranscriptHeader:
    conversation_id: str
    origin: str
    checkpoint_size: int
    checkpoint_root_b64: str
    exported_at: str
    exported_by: str
    reason: str


def line_of(record: dict[str, Any], text: str | None, erased: bool) -> TranscriptLine:
    """A transcript line from a parsed record object and its (possibly erased) text."""
    actor = record["actor"]
    details = ", ".join(f"{k}: {_shown(v)}" for k, v in sorted(record["data"].items()))
    shown = ERASED if erased else text
    return TranscriptLine(
        at=record["at"],
        kind=record["kind"],
        actor=f"{actor['role']} {actor['id']}",
        seq=record["seq"],
        text=shown,
        details=details,
    )


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def render_html(header: TranscriptHeader, lines: list[TranscriptLine]) -> str:
    e = html.escape
    rows = "\n".join(
        "<tr>"
        f"<td>{e(line.at)}</td><td>{e(line.kind)}</td><td>{e(line.actor)}</td>"
        f"<td>{'' if line.seq is None else line.seq}</td>"
        f'<td class="text">{e(line.text or "")}</td><td>{e(line.details)}</td>'
        "</tr>"
        for line in lines
    )
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Transcript {e(header.conversation_id)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border: 1px solid #999; padding: 4px; vertical-align: top; }}
td.text {{ white-space: pre-wrap; }}
</style>
</head>
<body>
<h1>Conversation {e(header.conversation_id)}</h1>
<p>Log {e(header.origin)}, checkpoint of {header.checkpoint_size} records,
root {e(header.checkpoint_root_b64)}.</p>
<p>Exported {e(header.exported_at)} by {e(header.exported_by)}; reason: {e(header.reason)}.</p>
<p>This transcript is a rendering. The evidence is records.json with its proofs;
check it with <code>rtc-gateway verify</code>.</p>
<table>
<tr><th>Time (UTC)</th><th>Event</th><th>Actor</th><th>Seq</th><th>Text</th><th>Details</th></tr>
{rows}
</table>
</body>
</html>
"""


def render_pdf(header: TranscriptHeader, lines: list[TranscriptLine]) -> bytes:
    from fpdf import FPDF  # a second to import: only when a transcript is made

    pdf = FPDF(format="A4")
    family = _font(pdf)
    pdf.add_page()
    pdf.set_font(family, size=14)
    title = _fit(family, f"Conversation {header.conversation_id}")
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=9)
    for text in (
        f"Log {header.origin}, checkpoint of {header.checkpoint_size} records,"
        f" root {header.checkpoint_root_b64}",
        f"Exported {header.exported_at} by {header.exported_by}; reason: {header.reason}",
        "This transcript is a rendering; the evidence is records.json with its proofs.",
    ):
        pdf.multi_cell(0, 5, _fit(family, text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for line in lines:
        seq = "" if line.seq is None else f" #{line.seq}"
        pdf.set_font(family, size=8)
        pdf.multi_cell(
            0,
            4,
            _fit(family, f"{line.at}  {line.kind}{seq}  {line.actor}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font(family, size=10)
        body = line.text if line.text is not None else line.details
        if body:
            pdf.multi_cell(0, 5, _fit(family, body), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    return bytes(pdf.output())


def _font(pdf: "FPDF") -> str:
    if UNICODE_FONT.exists():
        pdf.add_font("DejaVu", fname=str(UNICODE_FONT))
        return "DejaVu"
    return "Helvetica"


def _fit(family: str, text: str) -> str:
    """Core PDF fonts only hold Latin-1; without the Unicode font, replace the rest."""
    if family == "Helvetica":
        return text.encode("latin-1", "replace").decode("latin-1")
    return text
