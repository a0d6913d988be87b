"""THESEE's own case records have French titles in a transcript."""

from rtc_gateway.evidence.transcript_wording import line_of


def test_thesee_records_are_titled() -> None:
    titles = {}
    for kind in ("case.claimed", "case.released", "case.validation_pending",
                 "case.completed", "case.purged"):
        line = line_of({"kind": kind, "data": {"status": "in_review"}, "seq": None,
                        "at": "2026-12-01T10:00:00.000Z",
                        "actor": {"role": "reviewer", "id": "R-1"}}, None, False, {})
        titles[kind] = line.title
        assert "status : in_review" in line.details
    assert titles["case.claimed"] == "Dossier pris en charge par un relecteur"
    assert titles["case.purged"].startswith("Dossier purgé")
    assert len(set(titles.values())) == 5
