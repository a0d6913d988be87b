// French text for every error code of the contract: the server's own message (English,
// for developers and logs) is never shown to the person using the page.

export const ERROR_TEXT = {
  bad_request: "La demande n'a pas été comprise. Vérifiez votre saisie et réessayez.",
  unauthorized: "Votre session n'est plus valable. Rechargez la page pour continuer.",
  forbidden: "Cette action ne vous est pas permise.",
  not_found: "Élément introuvable : la conversation ou l'agent n'est plus disponible.",
  conflict: "Impossible pour le moment : la conversation a changé d'état (déjà terminée, déjà prise ou trop de conversations ouvertes).",
  rate_limited: "Trop de demandes en peu de temps. Patientez quelques secondes avant de réessayer.",
  too_large: "Message trop long : 4 000 caractères au plus.",
  unavailable: "Le service ne peut pas enregistrer pour le moment. Réessayez dans un instant.",
  internal: "Une erreur est survenue sur le serveur. Réessayez dans un instant.",
  timeout: "Le serveur ne répond pas. Vérifiez votre connexion et réessayez.",
  offline: "Pas de connexion au serveur pour le moment. Réessayez dans un instant.",
};

/** French text for an error code; an unknown code gets the generic text, never the server's. */
export function errorText(code) {
  return ERROR_TEXT[code] ?? ERROR_TEXT.internal;
}
