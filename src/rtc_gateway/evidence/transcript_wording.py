"""The words of a transcript: each record as a French sentence a reader of the case file
understands (officers by name, times in Paris time beside UTC), not as field names."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rtc_gateway.domain.timestamps import parse_utc
from rtc_gateway.domain.topics import TOPICS_BY_ID

PARIS = ZoneInfo("Europe/Paris")
ERASED = "[texte effacé à la fin de sa durée de conservation]"

_ROLES = {
    "citizen": "Usager",
    "agent": "Agent",
    "supervisor": "Superviseur",
    "reviewer": "Relecteur",
    "operator": "Opérateur",
}
_TITLES = {
    "conversation.opened": "Conversation ouverte",
    "message": "Message",
    "conversation.assigned": "Prise en charge par un agent",
    "conversation.transferred": "Conversation transférée",
    "conversation.requeued": "Remise en file d'attente",
    "conversation.closed": "Conversation close",
    "video.started": "Appel vidéo commencé",
    "video.ended": "Appel vidéo terminé",
    "export": "Export du dossier de preuve",
    "identity.verified": "Identité de l'usager vérifiée",
    "case.opened": "Dossier déposé",
    "case.message": "Message du dossier",
    "case.claimed": "Dossier pris en charge par un relecteur",
    "case.released": "Dossier rendu à la file de relecture",
    "case.validation_pending": "Validation en attente d'un second relecteur",
    "case.completed": "Dossier complété par l'usager",
    "case.decided": "Décision sur le dossier",
    "case.review_started": "Examen du dossier commencé",
    "case.withdrawn": "Dossier retiré par l'usager",
    "case.attachment": "Pièce jointe au dossier",
    "case.purged": "Dossier purgé (fin de la durée de conservation)",
    # video appointments (Visioplainte)
    "appointment.booked": "Rendez-vous vidéo réservé",
    "appointment.moved": "Rendez-vous vidéo déplacé",
    "appointment.cancelled": "Rendez-vous vidéo annulé par l'usager",
    "appointment.notice": "Avis envoyé à l'usager",
    "appointment.room_opened": "Salle d'appel ouverte par l'agent",
    "appointment.statement": "Procès-verbal rédigé",
    "appointment.schedule": "Créneaux de rendez-vous de l'unité",
}
_CASE_KINDS = {"pre_complaint": "pré-plainte en ligne", "complaint": "plainte en ligne",
               "thesee": "signalement ou plainte THESEE",
               "outside_walls": "demande de rendez-vous hors les murs"}
_CASE_STATUSES = {"received": "reçu", "in_review": "en cours d'examen",
                  "needs_information": "en attente de compléments", "confirmed": "confirmé",
                  "rescheduled": "reporté", "registered": "enregistré", "rejected": "rejeté",
                  "accepted": "accepté", "planned": "planifié", "withdrawn": "retiré",
                  "closed": "clos"}
_CASE_DECISIONS = {"validate": "enregistrer la plainte", "reject": "rejeter",
                   "request_info": "demander des compléments", "confirm": "confirmer",
                   "reschedule": "reporter", "close": "clore"}
_FORCES = {"police": "police nationale", "gendarmerie": "gendarmerie nationale",
           "auto": "la plus proche (choix automatique)"}
_PRIORITIES = {"urgent": "urgente", "normal": "normale"}
_LANGUAGES = {"fr": "français", "en": "anglais", "es": "espagnol", "de": "allemand",
              "it": "italien", "ar": "arabe", "pt": "portugais"}
_REQUEUE_REASONS = {"agent_disconnected": "l'agent a perdu sa connexion",
                    "gateway_restarted": "redémarrage du service"}
_CLOSE_REASONS = {"closed_by_citizen": "Close par l'usager",
                  "closed_by_agent": "Close par l'agent",
                  "closed_by_supervisor": "Close par un superviseur",
                  "resolved": "Raison : affaire traitée"}
_CALL_END_REASONS = {"left": "un participant a raccroché",
                     "conversation_closed": "la conversation a été close",
                     "shutdown": "arrêt du service",
                     "abandoned": "plus personne n'était connecté",
                     "node_gone": "le serveur qui relayait l'appel s'est arrêté"}


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    at: datetime
    title: str
    actor: str
    text: str | None
    """A message's text, or the notice that it was erased; ``None`` for other events."""
    details: tuple[str, ...]


def local_and_utc(at: datetime) -> str:
    """``30/11/2026 09:00:01 heure de Paris (UTC+01:00) · 2026-11-30 08:00:01.000 UTC``."""
    local = at.astimezone(PARIS)
    offset = local.strftime("%z")
    utc = at.astimezone(UTC)
    return (f"{local:%d/%m/%Y %H:%M:%S} heure de Paris (UTC{offset[:3]}:{offset[3:]})"
            f" · {utc:%Y-%m-%d %H:%M:%S}.{utc.microsecond // 1000:03d} UTC")


def officer_names(records: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Display names of the officers by id, as the assignment records give them."""
    names: dict[str, str] = {}
    for record in records:
        data = record.get("data", {})
        if record.get("kind") == "conversation.assigned" and isinstance(data, dict):
            agent_id, name = data.get("agent_id"), data.get("agent_name")
            if isinstance(agent_id, str) and isinstance(name, str) and name:
                names[agent_id] = name
    return names


def line_of(record: Mapping[str, Any], text: str | None, erased: bool,
            names: Mapping[str, str]) -> TranscriptLine:
    """A transcript line from a parsed record object and its (possibly erased) text."""
    kind = str(record["kind"])
    data = record.get("data") or {}
    title = _TITLES.get(kind, kind)
    if kind == "message" and record.get("seq") is not None:
        title = f"Message n° {record['seq']}"
    return TranscriptLine(
        at=parse_utc(str(record["at"])),
        title=title,
        actor=actor_label(record["actor"], names),
        text=ERASED if erased else text,
        details=tuple(details_of(kind, data, names)),
    )


def actor_label(actor: Mapping[str, Any], names: Mapping[str, str]) -> str:
    role, actor_id = str(actor.get("role")), str(actor.get("id"))
    if role == "system":
        return "Le service (automatique)"
    if role == "citizen":
        return f"Usager (pseudonyme {actor_id})"
    return _person(role, actor_id, names)


def _person(role: str, agent_id: str, names: Mapping[str, str]) -> str:
    label = _ROLES.get(role, role.capitalize())
    name = names.get(agent_id)
    return f"{label} {name} (matricule {agent_id})" if name else f"{label} {agent_id}"


def details_of(kind: str, data: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    known = _DETAILS.get(kind)
    if known is None:
        return [f"{key} : {_plain(value)}" for key, value in sorted(data.items())]
    return known(data, names)


def _opened(data: Mapping[str, Any], _: Mapping[str, str]) -> list[str]:
    topic = str(data.get("topic", ""))
    lines = [f"Sujet : {TOPICS_BY_ID[topic].label if topic in TOPICS_BY_ID else topic or '—'}"]
    if data.get("requested_service") is not None:
        lines.append(f"Force demandée : {_force(data['requested_service'])}")
    if data.get("service"):
        lines.append(f"Force : {_force(data['service'])}")
    if data.get("priority"):
        lines.append(f"Priorité : {_PRIORITIES.get(str(data['priority']), data['priority'])}")
    lines.append("Alerte discrète : " + ("oui" if data.get("discreet") is True else "non"))
    if data.get("language"):
        lines.append(f"Langue : {_LANGUAGES.get(str(data['language']), data['language'])}")
    location = data.get("location")
    if isinstance(location, dict):
        lines.append(f"Position transmise : latitude {location.get('lat')},"
                     f" longitude {location.get('lon')}")
    return lines


def _assigned(data: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    agent_id = str(data.get("agent_id") or data.get("agent") or "?")
    lines = [f"Agent : {_person('agent', agent_id, names).removeprefix('Agent ')}"]
    if data.get("service"):
        lines.append(f"Force : {_force(data['service'])}")
    if isinstance(data.get("waited_ms"), int):
        lines.append(f"Attente avant la prise en charge : {_seconds(data['waited_ms'] / 1000)}")
    return lines


def _transferred(data: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    lines = []
    if data.get("from_agent_id"):
        lines.append(f"De : {_person('agent', str(data['from_agent_id']), names)}")
    target = data.get("to")
    if isinstance(target, dict):
        if target.get("agent_id"):
            lines.append(f"Vers : {_person('agent', str(target['agent_id']), names)}")
        elif target.get("topic"):
            topic = str(target["topic"])
            label = TOPICS_BY_ID[topic].label if topic in TOPICS_BY_ID else topic
            lines.append(f"Vers : les agents du motif « {label} »")
        elif target.get("service"):
            lines.append(f"Vers : {_force(target['service'])}")
    return lines


def _requeued(data: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    reason = str(data.get("reason", ""))
    lines = [f"Raison : {_REQUEUE_REASONS.get(reason, reason)}"]
    if data.get("previous_agent_id"):
        lines.append(f"Agent précédent : {_person('agent', str(data['previous_agent_id']), names)}")
    return lines


def _closed(data: Mapping[str, Any], _: Mapping[str, str]) -> list[str]:
    reason = str(data.get("reason", ""))
    return [_CLOSE_REASONS.get(reason, f"Raison : {reason}")] if reason else []


def _video_started(data: Mapping[str, Any], _: Mapping[str, str]) -> list[str]:
    return [f"Salle : {data.get('room_id')}", "L'appel est enregistré."]


def _video_ended(data: Mapping[str, Any], _: Mapping[str, str]) -> list[str]:
    reason = str(data.get("reason", ""))
    lines = [f"Salle : {data.get('room_id')}"]
    if reason:
        lines.append(f"Fin de l'appel : {_CALL_END_REASONS.get(reason, reason)}")
    recordings = [r for r in data.get("recordings", []) if isinstance(r, dict)]
    summary = data.get("recording")
    if data.get("recording_lost") is True:
        lines.append("Enregistrement perdu : ses fichiers n'ont pas pu être scellés")
    if isinstance(summary, dict):
        duration = _seconds(summary.get("duration_s"))
        lines.append(f"Enregistrement : {_count(len(recordings), 'fichier')},"
                     f" {_bytes(summary.get('bytes'))}, durée {duration}")
        lines.append(f"Empreinte SHA-256 de la liste des fichiers : {summary.get('sha256')}")
    for item in recordings:
        who = item.get("participant")
        role = _ROLES.get(str(who.get("role") if isinstance(who, dict) else who), "")
        lines.append(f"Fichier {item.get('path')} ({role.lower() or 'participant'}) :"
                     f" {_bytes(item.get('bytes'))}, {_seconds(item.get('duration_s'))},"
                     f" SHA-256 {item.get('sha256')}")
    return lines


def _exported(data: Mapping[str, Any], _: Mapping[str, str]) -> list[str]:
    media = "jointes" if data.get("media") is True else "non jointes"
    return [f"Motif de l'export : {data.get('reason', '—')}", f"Vidéos : {media}"]


_CLAIMS = {"given_name": "prénoms", "family_name": "nom", "birthdate": "date de naissance",
           "gender": "sexe", "birthplace": "lieu de naissance",
           "birthcountry": "pays de naissance", "email": "adresse électronique"}


def _identity_verified(data: Mapping[str, Any], _: Mapping[str, str]) -> list[str]:
    claims = data.get("claims")
    names = [_CLAIMS.get(str(claim), str(claim)) for claim in claims] \
        if isinstance(claims, list) else []
    return [f"Fournisseur d'identité : {data.get('provider', '—')}",
            f"Niveau de garantie : {data.get('acr', '—')}",
            f"Données transmises : {', '.join(names) or '—'}"]


def _case_status(value: Any) -> str:
    return _CASE_STATUSES.get(str(value), str(value))


def _case_opened(data: Mapping[str, Any], _: Mapping[str, str]) -> list[str]:
    verified = "vérifiée" if data.get("citizen_verified") is True else "non vérifiée"
    return [f"Référence : {data.get('reference', '—')}",
            f"Démarche : {_CASE_KINDS.get(str(data.get('kind')), str(data.get('kind')))}",
            f"Force : {_force(data.get('force'))}",
            f"Unité : {data.get('unit_id') or '— (toute la force)'}",
            f"Identité de l'usager : {verified}",
            f"État : {_case_status(data.get('status'))}"]


def _case_decided(data: Mapping[str, Any], _: Mapping[str, str]) -> list[str]:
    decision = str(data.get("decision"))
    return [f"Décision : {_CASE_DECISIONS.get(decision, decision)}",
            f"État : {_case_status(data.get('previous_status'))} → "
            f"{_case_status(data.get('status'))}"]


def _case_changed(data: Mapping[str, Any], _: Mapping[str, str]) -> list[str]:
    return [f"État : {_case_status(data.get('status'))}"]


def _case_attachment(data: Mapping[str, Any], _: Mapping[str, str]) -> list[str]:
    stripped = "retirées" if data.get("metadata_stripped") is True else "conservées"
    return [f"Type : {data.get('content_type', '—')}, {_bytes(data.get('bytes'))}",
            f"SHA-256 : {data.get('sha256', '—')}",
            f"Métadonnées (EXIF, GPS) : {stripped}"]


_DETAILS = {
    "conversation.opened": _opened,
    "message": lambda data, names: [],
    "conversation.assigned": _assigned,
    "conversation.transferred": _transferred,
    "conversation.requeued": _requeued,
    "conversation.closed": _closed,
    "video.started": _video_started,
    "video.ended": _video_ended,
    "export": _exported,
    "identity.verified": _identity_verified,
    "case.opened": _case_opened,
    "case.message": _case_changed,
    "case.decided": _case_decided,
    "case.withdrawn": _case_changed,
    "case.attachment": _case_attachment,
}


def _force(value: Any) -> str:
    return _FORCES.get(str(value), str(value))


def _seconds(value: Any) -> str:
    if not isinstance(value, int | float):
        return "inconnue"
    return f"{value:.1f} s".replace(".", ",").replace(",0 s", " s")


def _bytes(value: Any) -> str:
    if not isinstance(value, int):
        return "taille inconnue"
    return f"{value:,} octets".replace(",", " ")


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" if count <= 1 else f"{count} {noun}s"


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_plain(v)}" for k, v in value.items())
    return str(value)
