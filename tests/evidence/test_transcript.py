"""The transcripts in a bundle: French, human labels, Paris time beside UTC, officers by
name, every character accounted for. The text is read back from the PDF itself."""

import html as markup
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pypdf

from rtc_gateway.cli_wiring import EvidenceLogs
from rtc_gateway.evidence.commands import export_from
from rtc_gateway.evidence.transcript_wording import local_and_utc
from rtc_gateway.ports.evidence_log import EvidenceEntry, RecordKind
from rtc_gateway.ports.evidence_source import LogPlace

from .support import ManualClock, make_log


async def exported_transcripts(data_dir: Path) -> tuple[str, str]:
    clock = ManualClock(datetime(2026, 7, 14, 21, 59, 58, tzinfo=UTC))
    log = make_log(data_dir, clock)
    await log.start()
    log.append(EvidenceEntry(
        "cv_42", RecordKind.CONVERSATION_OPENED, "citizen", "cit-A", clock.now(),
        data={"topic": "harassment", "requested_service": "auto", "service": None,
              "priority": "normal", "discreet": False, "language": "fr",
              "location": {"lat": "48.856600", "lon": "2.352200"}}))
    log.append(EvidenceEntry(
        "cv_42", RecordKind.ASSIGNED, "system", "gateway", clock.now(),
        data={"agent_id": "P-001", "agent_name": "Lieutenant Martin", "service": "police",
              "waited_ms": 12400}))
    texts = ["Un homme me suit depuis la gare.", "Où êtes-vous ?", "Rue de Rivoli 🙏"]
    for seq, text in enumerate(texts, start=1):
        role, actor = ("citizen", "cit-A") if seq % 2 else ("agent", "P-001")
        log.append(EvidenceEntry("cv_42", RecordKind.MESSAGE, role, actor, clock.now(), seq=seq,
                                 client_msg_id=str(seq), text=text))
    await log.append(EvidenceEntry("cv_42", RecordKind.CLOSED, "agent", "P-001", clock.now(),
                                   data={"reason": "closed_by_agent"}))
    await log.close()
    place = LogPlace(data_dir, data_dir / "keys" / "log-signing.key")
    bundle = await export_from(
        EvidenceLogs(), place, "cv_42", data_dir / "case.zip", reason="PV 2026/1234",
        actor_role="operator", actor_id="op-9", include_media=False)
    with zipfile.ZipFile(bundle) as archive:
        pdf = pypdf.PdfReader(io.BytesIO(archive.read("transcript.pdf")))
        html = archive.read("transcript.html").decode()
    return "\n".join(page.extract_text() for page in pdf.pages), markup.unescape(html)


async def test_the_transcripts_read_as_a_french_case_file(tmp_path: Path) -> None:
    pdf, html = await exported_transcripts(tmp_path)
    for text in (pdf, html):
        assert "Transcription de la conversation" in text
        assert "14/07/2026 23:59:58 heure de Paris (UTC+02:00) · 2026-07-14 21:59:58.000 UTC" \
            in text
        assert "Conversation ouverte" in text and "Usager (pseudonyme cit-A)" in text
        assert "Sujet : Harcèlement" in text
        assert "Alerte discrète : non" in text and "Langue : français" in text
        assert "Priorité : normale" in text
        assert "Agent Lieutenant Martin (matricule P-001)" in text
        assert "Attente avant la prise en charge : 12,4 s" in text
        assert "Message n° 2" in text and "Où êtes-vous ?" in text
        assert "Close par l'agent" in text
        assert "Motif de l'export : PV 2026/1234" in text and "Opérateur op-9" in text
        for raw in ("discreet", "language", "closed_by_agent", "waited_ms", "agent_id"):
            assert raw not in text
    assert "Rue de Rivoli [U+1F64F]" in pdf
    assert "Rue de Rivoli 🙏" in html


def test_times_carry_the_paris_offset_of_their_season() -> None:
    winter = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert local_and_utc(winter) == (
        "01/12/2026 00:30:00 heure de Paris (UTC+01:00) · 2026-11-30 23:30:00.000 UTC")
    summer = datetime(2026, 3, 29, 1, 0, 0, 250_000, tzinfo=UTC)
    assert local_and_utc(summer) == (
        "29/03/2026 03:00:00 heure de Paris (UTC+02:00) · 2026-03-29 01:00:00.250 UTC")
