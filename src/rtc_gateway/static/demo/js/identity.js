// Verified identity on the citizen page: the login link (when the gateway has a provider),
// the provider's refusals in French, and the step-up of the current chat after a login.

import { byId } from "./dom.js";
import { request } from "./connection.js";

const LOGIN_STARTED_KEY = "rtc-gateway.citizen.login-started";
const AUTH_ERRORS = {
  access_denied: "Vous avez annulé la connexion : votre identité n'a pas été vérifiée.",
  state_invalid: "La connexion a expiré ou a été ouverte dans un autre navigateur. Recommencez.",
  provider_error: "Le service d'identité a refusé la connexion. Réessayez plus tard.",
  provider_unavailable: "Le service d'identité ne répond pas. Réessayez plus tard.",
  token_exchange_failed: "Le service d'identité n'a pas confirmé la connexion. Recommencez.",
  id_token_invalid: "La réponse du service d'identité n'a pas pu être vérifiée. Recommencez.",
  userinfo_invalid: "Votre identité n'a pas pu être vérifiée. Recommencez.",
  acr_refused: "Le niveau de sécurité de la connexion est insuffisant.",
};
const FALLBACK_ERROR = "Votre identité n'a pas pu être vérifiée. Recommencez.";

const ui = {
  box: byId("identity"),
  error: byId("identity-error"),
  verified: byId("identity-verified"),
  login: byId("identity-login"),
};

/** Show the login link and the outcome of a login; step the chat up once back. */
export function bindIdentity(socket) {
  const failed = takeAuthError();
  if (failed) {
    sessionStorage.removeItem(LOGIN_STARTED_KEY);
    show(ui.error, AUTH_ERRORS[failed] ?? FALLBACK_ERROR);
  }
  ui.login.href = `/auth/login?return_to=${encodeURIComponent(location.pathname)}`;
  ui.login.addEventListener("click", () => sessionStorage.setItem(LOGIN_STARTED_KEY, "1"));
  offerLogin();
  socket.on("session", (session) => {
    if (session?.verified) return verified();
    if (sessionStorage.getItem(LOGIN_STARTED_KEY)) link(socket);
  });
}

async function offerLogin() {
  try {
    const response = await fetch("/api/v1/client-config", { headers: { Accept: "application/json" } });
    const config = response.ok ? await response.json() : {};
    if (config.identity_login === true && ui.verified.hidden) {
      ui.box.hidden = false;
      ui.login.hidden = false;
    }
  } catch {
    // No login offered: the chat works the same, anonymously.
  }
}

async function link(socket) {
  sessionStorage.removeItem(LOGIN_STARTED_KEY);
  try {
    const reply = await request(socket, "identity:link", {});
    if (reply.verified) verified();
  } catch (error) {
    show(ui.error, error.message);
  }
}

function verified() {
  ui.login.hidden = true;
  ui.error.hidden = true;
  show(ui.verified, "Identité vérifiée");
}

function show(element, text) {
  ui.box.hidden = false;
  element.textContent = text;
  element.hidden = false;
}

function takeAuthError() {
  const url = new URL(location.href);
  const code = url.searchParams.get("auth_error");
  if (code === null) return null;
  url.searchParams.delete("auth_error");
  history.replaceState(null, "", url.pathname + url.search + url.hash);
  return code;
}
