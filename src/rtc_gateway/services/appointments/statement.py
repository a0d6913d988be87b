"""The statement (procès-verbal d'audition) of a video appointment, in French, as a PDF
for the citizen's signature: who, which unit, when, the officer's text, and the places
to sign. Rendered from the stored text with the writing's instant as the PDF's date,
so the same statement always gives the same bytes (its SHA-256 is in the evidence)."""

from datetime import datetime

from rtc_gateway.domain.video_appointments import Appointment
from rtc_gateway.evidence.transcript import _fit, _font
from rtc_gateway.evidence.transcript_wording import local_and_utc

TITLE = "Procès-verbal d'audition (Visioplainte)"
READ_AND_APPROVED = ("Après lecture faite par moi-même, je persiste et signe. "
                     "Mention manuscrite « Lu et approuvé », date et signature :")


def render_statement(appointment: Appointment, text: str, officer_id: str,
                     written_at: datetime) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    family = _font(pdf)
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_creation_date(written_at)
    pdf.set_title(TITLE)
    pdf.set_lang("fr")
    pdf.add_page()

    def line(value: str, height: float = 6.0) -> None:
        pdf.multi_cell(0, height, _fit(family, value), new_x="LMARGIN", new_y="NEXT",
                       align="L")

    pdf.set_font(family, "B", size=15)
    line(TITLE, 8)
    pdf.ln(2)
    pdf.set_font(family, size=10.5)
    identity = appointment.identity
    name = " ".join(p for p in (identity.get("given_name"), identity.get("family_name")) if p)
    for label, value in (
            ("Unité", appointment.unit_id),
            ("Officier", officer_id),
            ("Rendez-vous", local_and_utc(appointment.start)),
            ("Personne entendue", name or "(identité vérifiée)"),
            ("Née le", identity.get("birthdate", "")),
            ("Dossier", appointment.case_id or "—"),
            ("Référence", appointment.id),
            ("Rédigé le", local_and_utc(written_at))):
        pdf.set_font(family, "B", size=10)
        pdf.cell(45, 6, _fit(family, label))
        pdf.set_font(family, size=10)
        line(value)
    pdf.ln(4)
    pdf.set_font(family, "B", size=12)
    line("Déclaration")
    pdf.set_font(family, size=11)
    line(text, 6.2)
    pdf.ln(8)
    pdf.set_font(family, size=10)
    line(READ_AND_APPROVED)
    pdf.ln(24)
    pdf.cell(85, 6, _fit(family, "La personne entendue"))
    pdf.cell(0, 6, _fit(family, "L'officier"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
