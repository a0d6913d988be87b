// Officer console: the "Se connecter" button of the ministry's identity provider, shown
// only when the gateway has one (client-config says staff_login), and the reason of a
// refused login (?auth_error=CODE), said in French and removed from the address bar.

import { byId } from "./dom.js";

const REFUSALS = {
  staff_claims_refused: "votre compte n'a pas de profil d'agent valide (rôle, force ou unité)",
  access_denied: "connexion annulée",
  state_invalid: "la connexion a expiré ou vient d'un autre navigateur",
  id_token_invalid: "la réponse du fournisseur d'identité n'a pas pu être vérifiée",
  provider_unavailable: "le fournisseur d'identité ne répond pas",
};

export async function offerStaffLogin(showNotice) {
  const params = new URLSearchParams(location.search);
  const refused = params.get("auth_error");
  if (refused) {
    params.delete("auth_error");
    const query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? `?${query}` : "") + location.hash);
    showNotice(`Connexion refusée : ${REFUSALS[refused] ?? "erreur du fournisseur d'identité"}.`);
  }
  try {
    const response = await fetch("/api/v1/client-config", { headers: { Accept: "application/json" } });
    const config = response.ok ? await response.json() : {};
    byId("staff-login-box").hidden = config.staff_login !== true;
  } catch {
    // No provider offered: the token form works the same.
  }
}
