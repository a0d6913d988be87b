"""Case records read as French sentences in a transcript."""

from rtc_gateway.evidence.transcript_wording import line_of


def record(kind: str, data: dict[str, object]) -> dict[str, object]:
    return {"kind": kind, "data": data, "at": "2026-12-01T10:00:00.000Z", "seq": None,
            "actor": {"role": "agent", "id": "P-1"}}


def test_case_records_are_worded() -> None:
    opened = line_of(record("case.opened", {
        "reference": "PL-2026-000001", "kind": "complaint", "force": "police",
        "unit_id": None, "citizen_verified": True, "status": "received"}), "{}", False, {})
    assert opened.title == "Dossier déposé"
    assert "Démarche : plainte en ligne" in opened.details
    assert "Unité : — (toute la force)" in opened.details
    decided = line_of(record("case.decided", {"decision": "request_info",
                                              "previous_status": "received",
                                              "status": "needs_information"}),
                      "la facture", False, {"P-1": "Durand"})
    assert decided.details == ("Décision : demander des compléments",
                               "État : reçu → en attente de compléments")
    assert decided.actor == "Agent Durand (matricule P-1)"
