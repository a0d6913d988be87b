"""The French words of the appointments' e-mails, text messages and calendar events."""

from datetime import datetime

from rtc_gateway.domain.video_appointments import PARIS, Appointment

VIDEO_LOCATION = "Visioplainte (appel vidéo)"
_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre")
_KEEP = ("Ce lien est personnel : il ne fonctionne qu'une fois connecté(e) avec votre "
         "identité vérifiée (FranceConnect). Ne le transmettez à personne.")
_RECORDED = "L'appel est enregistré (image et son) et conservé comme preuve."
_SIGNATURE = "Ce message est envoyé automatiquement, merci de ne pas y répondre."


def spoken_when(instant: datetime) -> str:
    """``mardi 8 décembre 2026 à 09 h 30`` (heure de Paris)."""
    local = instant.astimezone(PARIS)
    return (f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year}"
            f" à {local.hour:02d} h {local.minute:02d}")


def event_summary(unit_name: str) -> str:
    return f"Rendez-vous Visioplainte : {unit_name}"


def event_description(join_url: str) -> str:
    return f"Rejoindre l'appel vidéo : {join_url}\n{_KEEP}"


def subject(kind: str, appointment: Appointment) -> str:
    when = spoken_when(appointment.start)
    return {"booked": f"Votre rendez-vous Visioplainte du {when}",
            "moved": f"Rendez-vous Visioplainte déplacé au {when}",
            "cancelled": f"Rendez-vous Visioplainte du {when} annulé",
            "reminder": f"Rappel : rendez-vous Visioplainte le {when}"}[kind]


def mail_text(kind: str, appointment: Appointment, join_url: str, unit_name: str) -> str:
    when = spoken_when(appointment.start)
    opening = {
        "booked": f"Votre rendez-vous en vidéo avec {unit_name} est confirmé pour le {when}.",
        "moved": f"Votre rendez-vous en vidéo avec {unit_name} est déplacé au {when}.",
        "cancelled": f"Votre rendez-vous en vidéo avec {unit_name} du {when} est annulé.",
        "reminder": f"Rappel : votre rendez-vous en vidéo avec {unit_name} a lieu le {when}.",
    }[kind]
    if kind == "cancelled":
        return f"Bonjour,\n\n{opening}\n\n{_SIGNATURE}\n"
    return (f"Bonjour,\n\n{opening}\n\nLe jour venu, rejoignez l'appel par ce lien :\n"
            f"{join_url}\n\n{_KEEP}\n{_RECORDED}\n\nUn fichier d'agenda (.ics) est joint.\n\n"
            f"{_SIGNATURE}\n")


def sms_text(kind: str, appointment: Appointment) -> str:
    when = spoken_when(appointment.start)
    return {"booked": f"Rendez-vous Visioplainte confirmé le {when}. Lien dans votre e-mail.",
            "moved": f"Rendez-vous Visioplainte déplacé au {when}. Lien dans votre e-mail.",
            "cancelled": f"Rendez-vous Visioplainte du {when} annulé.",
            "reminder": f"Rappel : rendez-vous Visioplainte le {when}. "
                        "Lien dans votre e-mail."}[kind]
