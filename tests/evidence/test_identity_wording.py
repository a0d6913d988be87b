"""A step-up record reads as a French sentence in the transcript: provider, level, which
data (never their values, which the record does not hold)."""

from rtc_gateway.evidence.transcript_wording import line_of


def test_an_identity_record_in_french() -> None:
    record = {"kind": "identity.verified", "at": "2026-12-01T10:00:00.000Z",
              "actor": {"role": "citizen", "id": "c_1"},
              "data": {"provider": "https://idp.example", "acr": "eidas1",
                       "claims": ["birthdate", "family_name", "given_name"],
                       "verified_at": "2026-12-01T09:59:58.000Z"}}
    line = line_of(record, None, False, {})
    assert line.title == "Identité de l'usager vérifiée"
    assert line.actor == "Usager (pseudonyme c_1)"
    assert line.details == ("Fournisseur d'identité : https://idp.example",
                            "Niveau de garantie : eidas1",
                            "Données transmises : date de naissance, nom, prénoms")
