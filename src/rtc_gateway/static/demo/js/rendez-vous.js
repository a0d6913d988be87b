// The join page of a video appointment: the link's fragment names the appointment and its
// key; the citizen signs in (FranceConnect) if needed, then joins when the officer opens
// the room. The key is kept in sessionStorage across the login, never sent in a URL.

import { byId, el } from "./dom.js";
import { bindStatus, connect, request } from "./connection.js";
import { api, spokenWhen } from "./services-api.js";
import { VideoCall } from "./video-call.js";
import { NO_CASE_TEXT, caseDocuments } from "./case-documents.js";

const LINK_KEY = "rtc-gateway.appointment.link";
const POLL_MS = 5000;
const ui = {
  when: byId("rdv-when"), state: byId("rdv-state"), login: byId("rdv-login"),
  join: byId("rdv-join"), video: byId("video"), hangup: byId("video-hangup"),
  local: byId("local-video"), remote: byId("remote-video"), badge: byId("connection"),
};
let call = null;
let invite = null;
let documents = null;

function linkFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.get("appointment") && params.get("key")) {
    sessionStorage.setItem(LINK_KEY, JSON.stringify({ id: params.get("appointment"), key: params.get("key") }));
    history.replaceState(null, "", location.pathname);
  }
  try {
    return JSON.parse(sessionStorage.getItem(LINK_KEY) ?? "null");
  } catch {
    return null;
  }
}

function say(text, warn = false) {
  ui.state.textContent = text;
  ui.state.classList.toggle("notice--warn", warn);
}

async function main() {
  const link = linkFromFragment();
  if (!link) return say("Ce lien de rendez-vous est incomplet. Ouvrez celui de votre e-mail.", true);
  let joined;
  try {
    joined = await api("POST", `/api/v1/appointments/${encodeURIComponent(link.id)}/join`, { key: link.key });
  } catch (error) {
    if (error.code === "unauthorized") {
      ui.login.hidden = false;
      return say("Connectez-vous avec votre identité vérifiée pour rejoindre l'appel.");
    }
    return say(error.code === "forbidden" ? "Ce lien n'est pas valable pour votre identité." : error.message, true);
  }
  ui.when.textContent = `Le ${spokenWhen(joined.appointment.start)}, avec ${joined.appointment.unit_id}.`;
  if (joined.appointment.status !== "booked") return say("Ce rendez-vous n'est plus prévu.", true);
  showDocuments(joined.appointment.case_id);
  const socket = connect("/citizen", () => ({}));
  ui.badge.hidden = false;
  bindStatus(socket, ui.badge);
  socket.on("video:invite", (data) => {
    if (data?.appointment_id !== link.id) return;
    invite = data;
    offer();
  });
  socket.on("video:ended", () => {
    call?.stop(false);
    call = null;
    ui.video.hidden = true;
    documents?.stop();
    say("L'appel est terminé. Merci.");
  });
  // The invitation goes to the identity that booked; this page may speak for another one
  // the same verified session vouches for, so it also asks until the room is open.
  const ask = async () => {
    if (call || invite || !socket.connected) return;
    try {
      const reply = await request(socket, "appointment:join", { appointment_id: link.id, key: link.key });
      if (reply.room_id) {
        invite = { room_id: reply.room_id, ice_servers: reply.ice_servers };
        offer();
      } else {
        say("L'enquêteur n'a pas encore ouvert l'appel. Restez sur cette page.");
      }
    } catch (error) {
      say(error.message, true);
    }
  };
  socket.on("connect", ask);
  setInterval(ask, POLL_MS);
  ui.join.addEventListener("click", async () => {
    ui.join.hidden = true;
    ui.video.hidden = false;
    call = new VideoCall(socket, invite.room_id, ui.local, ui.remote);
    try {
      await call.start(invite.ice_servers);
      say("Appel en cours.");
    } catch {
      say("La caméra ou le micro n'ont pas pu être utilisés.", true);
    }
  });
  ui.hangup.addEventListener("click", async () => {
    await call?.stop();
    call = null;
    ui.video.hidden = true;
    documents?.stop();
    say("Vous avez quitté l'appel.");
  });
}

/** The case's documents (with the session cookie the page joined with), from admission
 * until the call ends, or a plain sentence when the appointment was booked without a case. */
function showDocuments(caseId) {
  const card = ui.state.closest("section");
  if (!caseId) {
    card.append(el("p", { className: "notice", text: NO_CASE_TEXT, dataset: { documents: "none" } }));
    return;
  }
  documents = caseDocuments(caseId);
  card.append(documents.node);
  documents.start();
}

function offer() {
  if (call) return;
  say("L'enquêteur vous attend.");
  ui.join.hidden = false;
}

main();
