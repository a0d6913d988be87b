"""What a citizen can ask about (``GET /api/v1/topics``), in the service's language."""

from dataclasses import dataclass

from rtc_gateway.domain.priority import Priority


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    label: str
    description: str
    default_priority: Priority = Priority.NORMAL


DISCREET_ALERT = "discreet_alert"

TOPICS: tuple[Topic, ...] = (
    Topic("general", "Question générale",
          "Une question à un policier ou un gendarme, à toute heure."),
    Topic("harassment", "Harcèlement",
          "Harcèlement dans la rue, les transports, au travail ou en ligne."),
    Topic("domestic_violence", "Violences conjugales ou intrafamiliales",
          "Être écouté, conseillé, et porter plainte y compris hors les murs.",
          Priority.URGENT),
    Topic("online_scam", "Escroquerie en ligne (THESEE)",
          "Piratage de messagerie, chantage, rançongiciel, arnaque sentimentale ou à "
          "la petite annonce, fraude sur un site de vente. THESEE est le service en ligne "
          "du ministère de l'Intérieur pour porter plainte ou signaler une escroquerie "
          "sur Internet sans se déplacer."),
    Topic("property", "Vol, cambriolage, dégradation",
          "Atteintes aux biens : pré-plainte et conseils."),
    Topic("cyber", "Sécurité numérique", "Conseils de prévention pour vos comptes et appareils."),
    Topic("road", "Sécurité routière", "Accident, délit routier, conseils."),
    Topic(DISCREET_ALERT, "Alerte discrète",
          "Signaler une situation de danger sans que personne autour ne s'en aperçoive.",
          Priority.URGENT),
)

TOPICS_BY_ID = {topic.id: topic for topic in TOPICS}
