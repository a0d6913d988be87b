// The /api/v1 calls of the appointment and outside-the-walls pages, with a bearer token
// or the verified session's cookie; refusals come back as French text.

const CITIZEN_TOKEN_KEY = "rtc-gateway.citizen.token";

/** The citizen page's own token (a login links it to the verified session), if any. */
export function citizenToken() {
  return localStorage.getItem(CITIZEN_TOKEN_KEY) ?? undefined;
}

export class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const TEXT = {
  forbidden: "Cette action demande une identité vérifiée (FranceConnect), ou ne vous est pas permise.",
  conflict: "Ce créneau vient d'être pris ou ne peut plus être modifié. Choisissez-en un autre.",
  bad_request: "La demande n'a pas été comprise. Vérifiez votre saisie.",
  not_found: "Élément introuvable.",
  unauthorized: "Connectez-vous pour continuer.",
  rate_limited: "Trop de demandes en peu de temps. Patientez un instant.",
};

export async function api(method, path, body, { bearer } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let response;
  try {
    response = await fetch(path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError("offline", "Pas de connexion au serveur pour le moment.");
  }
  const answer = await response.json().catch(() => ({}));
  if (response.ok) return answer;
  const code = answer?.error?.code ?? "internal";
  throw new ApiError(code, TEXT[code] ?? "Une erreur est survenue. Réessayez dans un instant.");
}

const WHEN = new Intl.DateTimeFormat("fr-FR", {
  weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit",
  timeZone: "Europe/Paris",
});

export function spokenWhen(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : WHEN.format(date);
}

export function currentPosition() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) return reject(new Error("Position indisponible sur cet appareil."));
    navigator.geolocation.getCurrentPosition(
      (position) => resolve({ lat: position.coords.latitude, lon: position.coords.longitude }),
      () => reject(new Error("Position refusée ou indisponible.")),
      { timeout: 10000 });
  });
}
