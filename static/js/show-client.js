// The one client module every page uses: connect to a namespace, keep the role's view current
// from the snapshot and revisioned merge patches (resync on any gap), learn the server clock
// offset, and reconnect by itself. Protocol: docs/protocol.md.
import { io } from "/static/vendor/socket.io.esm.min.js";
import { timeLeft, timeUp } from "/static/js/timer.js";

/** Apply an RFC 7396 merge patch; returns a new object. */
export function merge(target, patch) {
  const out = { ...(target || {}) };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (typeof value === "object" && !Array.isArray(value) && typeof out[key] === "object" && out[key] !== null && !Array.isArray(out[key])) {
      out[key] = merge(out[key], value);
    } else out[key] = value;
  }
  return out;
}

/** A stable random id for this browser (a phone or a tablet), kept in localStorage. */
export function deviceId(kind = "device") {
  const key = `showcaller.${kind}`;
  let id = localStorage.getItem(key);
  if (!id) {
    id = `${kind}-${crypto.getRandomValues(new Uint32Array(3)).join("-")}`;
    localStorage.setItem(key, id);
  }
  return id;
}

// A phone's connection: a websocket at the phones' own path, which the server hands to the process that
// serves the crowd (docs/performance.md). After FALLBACK_AFTER failed tries (a proxy that refuses
// websockets), the usual path with long-polling first, which the show's own process serves.
const PHONES = { path: "/phones.io/", transports: ["websocket"] };
const USUAL = { path: "/socket.io/", transports: ["polling", "websocket"] };
const FALLBACK_AFTER = 3;

export class ShowClient {
  /**
   * @param {string} namespace "/control", "/judge", "/team", "/overlay" or "/audience"
   * @param {object} auth the namespace's auth object (token, pad, device, takeover)
   * @param {object} handlers onView(view, client), onStatus(status, detail), onEvent(name, data)
   * @param {{phones?: boolean}} options phones: connect as one of the crowd (the audience page)
   */
  constructor(namespace, auth, handlers = {}, { phones = false } = {}) {
    this.namespace = namespace;
    this.auth = auth;
    this.handlers = handlers;
    this.view = null;
    this.rev = -1;
    this.offset = 0; // server time minus local time, ms
    this.bestRtt = Infinity;
    this.status = "connecting";
    // auth as a callback, so a reconnect sends the current auth (e.g. after a takeover).
    this.socket = io(namespace, {
      auth: (cb) => cb(this.auth), reconnectionDelay: 300, reconnectionDelayMax: 3000, ...(phones ? PHONES : USUAL),
    });
    let failed = 0;
    this.socket.on("connect", () => { failed = 0; this.setStatus("live"); this.syncClock(); });
    this.socket.io.on("reconnect_attempt", () => {
      if (phones && ++failed === FALLBACK_AFTER) Object.assign(this.socket.io.opts, USUAL);
    });
    this.socket.on("disconnect", (reason) => this.setStatus("offline", reason));
    this.socket.on("connect_error", (err) => {
      const data = err && err.data;
      if (data && data.code) { this.setStatus("refused", data); this.socket.disconnect(); }
      else this.setStatus("offline", err && err.message);
    });
    this.socket.on("snapshot", (data) => this.replace(data));
    this.socket.on("patch", (data) => this.patch(data));
    this.socket.onAny((name, data) => {
      if (name !== "snapshot" && name !== "patch" && this.handlers.onEvent) this.handlers.onEvent(name, data);
    });
    this.clockTimer = setInterval(() => this.syncClock(), 30000);
  }

  setStatus(status, detail) {
    this.status = status;
    if (this.handlers.onStatus) this.handlers.onStatus(status, detail);
  }

  replace(data) {
    this.view = data.view;
    this.rev = data.rev;
    // A first guess only: the snapshot's travel time is unknown; the `time` round trips refine it.
    if (data.server_time && this.bestRtt === Infinity) this.offset = data.server_time - Date.now();
    this.changed();
  }

  async patch(data) {
    if (data.base !== this.rev) { await this.resync(); return; }
    this.view = merge(this.view, data.patch);
    this.rev = data.rev;
    this.changed();
  }

  async resync() {
    const reply = await this.send("sync");
    if (reply.ok) this.replace(reply);
  }

  changed() {
    if (this.handlers.onView) this.handlers.onView(this.view, this);
  }

  learnOffset(serverTime, sent, received) {
    const rtt = received - sent;
    // Keep the estimate from the quickest round trip: it has the least uncertainty.
    if (rtt <= this.bestRtt * 1.5 || rtt < 20) {
      this.bestRtt = Math.min(this.bestRtt, rtt);
      this.offset = serverTime - (sent + received) / 2;
    }
  }

  async syncClock() {
    for (let i = 0; i < 3; i++) {
      const sent = Date.now();
      const reply = await this.send("time");
      if (reply.ok) this.learnOffset(reply.server_time, sent, Date.now());
    }
  }

  /** The server's clock now, in ms. */
  serverNow() { return Date.now() + this.offset; }

  /** Milliseconds left on a view's timer, by the server clock. */
  remaining(timer) { return timeLeft(timer, this.serverNow()); }

  /** Whether a view's running timer has reached 0, by the server clock. */
  timeUp(timer) { return timeUp(timer, this.serverNow()); }

  /** Send an event; resolves to its ACK, or an error ACK if the server can't be reached. */
  async send(event, payload = {}) {
    if (!this.socket.connected) return { ok: false, error: { code: "offline", message: "not connected" } };
    try {
      return await this.socket.timeout(5000).emitWithAck(event, payload);
    } catch (err) {
      return { ok: false, error: { code: "timeout", message: "no answer from the server" } };
    }
  }

  reconnect(auth) {
    this.auth = { ...this.auth, ...auth };
    this.socket.disconnect().connect();
  }
}

/** Seconds for a countdown display. */
export function seconds(ms) { return Math.ceil(ms / 1000); }

/** Escape text for innerHTML. */
export function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
