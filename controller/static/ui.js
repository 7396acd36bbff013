// Small UI helpers shared by the control-room pages: strings, toasts, confirm and prompt dialogs.
export const T = JSON.parse(document.getElementById("strings").textContent); // a data block: CSP allows no inline script

/** A catalogue string with {name} placeholders filled in. */
export function t(key, values = {}) {
  const text = T[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
}

/** Whether the page speaks Vietnamese. */
export const inVietnamese = () => document.documentElement.lang === "vi";

/**
 * Words the server sent as ``{key, params}`` (docs/protocol.md, "Words"), in the page's language,
 * from the same catalogue the server reads. A parameter is text, a number, nested words, or
 * ``{vi, en}`` (labels logged before the catalogue held them).
 */
export function say(words) {
  if (!words || typeof words !== "object") return words == null ? "" : String(words);
  const text = T[words.key];
  if (text === undefined) return words.key || "";
  const params = words.params || {};
  return text.replace(/\{(\w+)\}/g, (_, name) => param(params[name]));
}

function param(value) {
  if (value == null) return "";
  if (typeof value !== "object") return String(value);
  if ("key" in value) return say(value);
  return value[document.documentElement.lang] ?? value.en ?? "";
}

/**
 * A server text in the page's language: ``obj[key]`` when it is words (undo/redo labels, audit
 * entries), ``obj[key + "_words"]`` beside an English ``obj[key]`` (OBS errors, season problems),
 * an error's own ``key`` and ``params`` for ``message``; else the plain text.
 */
export function said(obj, key = "message") {
  if (!obj) return "";
  const value = obj[key];
  if (value && typeof value === "object") return say(value);
  if (obj[`${key}_words`]) return say(obj[`${key}_words`]);
  if (key === "message" && obj.key && T[obj.key] !== undefined) return say(obj);
  return value || "";
}

// Refusals the client makes up itself (show-client.js): codes with their words in the catalogue.
const CLIENT_ERRORS = { offline: "wire.offline", timeout: "wire.timeout" };

/** An error ACK's message in the page's language. */
export function errorText(error) {
  if (error && !error.key && CLIENT_ERRORS[error.code]) return say({ key: CLIENT_ERRORS[error.code] });
  return said(error) || (error && error.code) || "";
}

let toastTimer = null;
/** Show a short message at the bottom; errors stay longer. */
export function toast(message, ok = false) {
  let el = document.getElementById("toast");
  if (!el) {
    el = document.createElement("div");
    el.id = "toast";
    el.setAttribute("role", "status");
    document.body.append(el);
  }
  el.className = ok ? "toast ok" : "toast";
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, ok ? 1500 : 4000);
}

/** Report an ACK: nothing on success (unless a message is given), the server's words on failure. */
export function report(ack, okMessage = "") {
  if (!ack.ok) toast(`${t("common.error")}: ${errorText(ack.error)}`);
  else if (okMessage) toast(okMessage, true);
  return ack;
}

/**
 * Ask in the page's dialog. ``fields`` like [{name, label, type, value}] turn it into a form;
 * resolves to the values (or true) on OK, null on cancel. Enter confirms, Escape cancels.
 */
export function ask(text, fields = []) {
  const dialog = document.getElementById("dialog");
  const form = dialog.querySelector("form");
  document.getElementById("dialog-text").textContent = text;
  const box = document.getElementById("dialog-fields");
  box.innerHTML = "";
  for (const f of fields) {
    const label = document.createElement("label");
    label.textContent = f.label;
    const input = document.createElement("input");
    Object.assign(input, { name: f.name, type: f.type || "text", value: f.value ?? "", required: f.required ?? true });
    if (f.step) input.step = f.step;
    label.append(input);
    box.append(label);
  }
  dialog.hidden = false;
  (box.querySelector("input") || document.getElementById("dialog-ok")).focus();
  return new Promise((resolve) => {
    const done = (value) => {
      dialog.hidden = true;
      form.onsubmit = null;
      document.getElementById("dialog-cancel").onclick = null;
      dialog.onkeydown = null;
      resolve(value);
    };
    form.onsubmit = (e) => {
      e.preventDefault();
      if (!fields.length) return done(true);
      done(Object.fromEntries(fields.map((f) => [f.name, form.elements[f.name].value])));
    };
    document.getElementById("dialog-cancel").onclick = () => done(null);
    dialog.onkeydown = (e) => { if (e.key === "Escape") { e.stopPropagation(); done(null); } };
  });
}

/** Whether a dialog is open (page shortcuts pause meanwhile). */
export function dialogOpen() { return !document.getElementById("dialog").hidden; }

/** The connection status chip. */
export function showStatus(el, status) {
  el.className = `status ${status}`;
  el.textContent = t(`common.${status}`);
}
