// How the console gets an officer's attention for urgent work: the tab title, a short
// tone made with WebAudio (no sound file), and a desktop notification when permitted.

const BASE_TITLE = document.title;

export class Attention {
  constructor() {
    this.audio = null;
    this.pending = new Map();
    document.addEventListener("pointerdown", () => this.unlockAudio(), { once: true });
    document.addEventListener("keydown", () => this.unlockAudio(), { once: true });
  }

  /** Browsers start audio only after a gesture: create the context on the first one. */
  unlockAudio() {
    if (!globalThis.AudioContext) return null;
    if (!this.audio) this.audio = new AudioContext();
    if (this.audio.state === "suspended") this.audio.resume().catch(() => undefined);
    return this.audio;
  }

  /** Call for attention about `key` (a conversation id) until `settle(key)`. */
  raise(key, title, body) {
    const fresh = !this.pending.has(key);
    this.pending.set(key, title);
    this.renderTitle();
    if (!fresh) return;
    this.chime();
    this.notify(key, title, body);
  }

  settle(key) {
    if (this.pending.delete(key)) this.renderTitle();
  }

  renderTitle() {
    const count = this.pending.size;
    document.title = count ? `(${count}) Urgent — ${BASE_TITLE}` : BASE_TITLE;
    document.body.dataset.attention = String(count);
  }

  chime() {
    const audio = this.unlockAudio();
    if (!audio) return;
    const start = audio.currentTime + 0.02;
    for (const [offset, frequency] of [[0, 880], [0.22, 660]]) {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.type = "sine";
      tone.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.25, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.18);
      tone.connect(gain).connect(audio.destination);
      tone.start(start + offset);
      tone.stop(start + offset + 0.2);
    }
  }

  notify(key, title, body) {
    if (!globalThis.Notification || Notification.permission !== "granted") return;
    try {
      const note = new Notification(title, { body, tag: key });
      note.addEventListener("click", () => globalThis.focus());
    } catch {
      // Some browsers only allow notifications from a service worker: the title and tone remain.
    }
  }
}

/** Show the "enable notifications" button while the browser could still ask. */
export function bindNotificationButton(button) {
  const refresh = () => {
    button.hidden = !globalThis.Notification || Notification.permission !== "default";
  };
  button.addEventListener("click", () => {
    Notification.requestPermission().then(refresh, refresh);
  });
  refresh();
}
