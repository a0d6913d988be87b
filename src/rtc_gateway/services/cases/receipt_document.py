"""The receipt of a registered complaint as a PDF, in French, with the DejaVu fonts the
transcripts use (accents and every Latin letter of a name drawn as typed)."""

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from rtc_gateway.evidence.transcript import _fit, _font
from rtc_gateway.evidence.transcript_wording import local_and_utc
from rtc_gateway.services.cases.receipts import Receipt

if TYPE_CHECKING:
    from fpdf import FPDF

TITLE = "Récépissé de dépôt de plainte"
OFFENCES = {"theft": "Vol", "burglary": "Cambriolage", "damage": "Dégradation",
            "fraud": "Escroquerie"}
FORCES = {"police": "Police nationale", "gendarmerie": "Gendarmerie nationale"}
IDENTITY_LINES = (("family_name", "Nom"), ("given_name", "Prénom(s)"),
                  ("birthdate", "Date de naissance"), ("birthplace", "Lieu de naissance (INSEE)"),
                  ("email", "Courriel"))
CHECK = ("Ce récépissé atteste l'enregistrement de la plainte. Il se vérifie contre le journal"
         " de preuve : l'enregistrement cité ci-dessus doit y figurer à cet index avec cette"
         " empreinte (dossier de preuve du dossier, rtc-gateway export --case puis"
         " rtc-gateway verify).")
MARGIN = 18.0


def filename(receipt: Receipt) -> str:
    return f"recepisse-{receipt.case.reference}.pdf"


def render_receipt(receipt: Receipt) -> bytes:
    from fpdf import FPDF  # a second to import: only when a receipt is made

    case = receipt.case
    pdf = FPDF(format="A4")
    family = _font(pdf)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(f"{TITLE} {case.reference}")
    pdf.set_lang("fr")
    pdf.add_page()
    pdf.set_font(family, "B", size=15)
    _line(pdf, family, 8, TITLE)
    pdf.set_font(family, size=11)
    _line(pdf, family, 6, f"Référence {case.reference}")
    pdf.ln(3)
    for title, facts in _sections(receipt):
        _section(pdf, family, title, facts)
    pdf.ln(3)
    pdf.set_font(family, size=8.5)
    pdf.set_text_color(70)
    _line(pdf, family, 4.2, CHECK)
    return bytes(pdf.output())


def _sections(receipt: Receipt) -> list[tuple[str, list[tuple[str, str]]]]:
    case, registration = receipt.case, receipt.registration
    facts: Mapping[str, Any] = case.facts
    identity = case.citizen_identity or {}
    return [
        ("Dossier", [
            ("Référence", case.reference),
            ("Déposée le", local_and_utc(case.created_at)),
            ("Enregistrée le", local_and_utc(registration.at)),
            ("Force", FORCES.get(case.force.value, case.force.value)),
            ("Unité", case.unit_id or "à désigner par la force"),
        ]),
        ("Plaignant (identité vérifiée)", [
            (label, _birthdate(identity[name]) if name == "birthdate" else identity[name])
            for name, label in IDENTITY_LINES if identity.get(name)
        ] or [("Identité", "non vérifiée")]),
        ("Faits déclarés", _facts(facts)),
        ("Biens déclarés", _goods(facts.get("goods") or [])),
        ("Preuve de l'enregistrement", [
            ("Index dans le journal", str(registration.index)),
            ("Rang dans le dossier", str(registration.conversation_index)),
            ("Empreinte (SHA-256)", registration.leaf_hash.hex()),
        ]),
    ]


def _facts(facts: Mapping[str, Any]) -> list[tuple[str, str]]:
    lines = [("Nature", OFFENCES.get(str(facts.get("offence")), str(facts.get("offence"))))]
    when = _instant(facts.get("occurred_from"))
    until = _instant(facts.get("occurred_to"))
    lines.append(("Date des faits", f"du {when} au {until}" if until else when))
    for key, label in (("address", "Lieu"), ("description", "Description"),
                       ("damages", "Dommages")):
        if facts.get(key):
            lines.append((label, str(facts[key])))
    return lines


def _goods(goods: list[Mapping[str, Any]]) -> list[tuple[str, str]]:
    if not goods:
        return [("Biens", "aucun bien déclaré")]
    lines = [(str(good.get("label", "")), _euros(good.get("value_eur"))) for good in goods]
    values = [float(g["value_eur"]) for g in goods if g.get("value_eur") is not None]
    lines.append(("Total déclaré", _euros(sum(values)) if values else "non évalué"))
    return lines


def _euros(value: object) -> str:
    if not isinstance(value, int | float):
        return "valeur non déclarée"
    whole, cents = f"{float(value):,.2f}".split(".")
    return f"{whole.replace(',', ' ')},{cents} €"


def _instant(value: object) -> str:
    if not isinstance(value, str) or not value:
        return ""
    try:
        return local_and_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return value


def _birthdate(value: str) -> str:
    try:
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    except ValueError:
        return value


def _section(pdf: "FPDF", family: str, title: str, facts: list[tuple[str, str]]) -> None:
    pdf.ln(2)
    pdf.set_draw_color(200)
    pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
    pdf.ln(1.5)
    pdf.set_font(family, "B", size=11)
    _line(pdf, family, 6, title)
    for label, value in facts:
        pdf.set_font(family, "B", size=9)
        pdf.cell(48, 5, _fit(family, label))
        pdf.set_font(family, size=9)
        _line(pdf, family, 5, value)


def _line(pdf: "FPDF", family: str, height: float, text: str) -> None:
    pdf.multi_cell(0, height, _fit(family, text), new_x="LMARGIN", new_y="NEXT", align="L")
