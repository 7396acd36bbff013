// Small UI helpers shared by the control-room pages: strings, toasts, confirm and prompt dialogs.
export const T = window.T;

/** A catalogue string with {name} placeholders filled in. */
export function t(key, values = {}) {
  const text = T[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
}

/** Whether the page speaks Vietnamese (the server's words then come from their `_vi` twins). */
export const inVietnamese = () => document.documentElement.lang === "vi";

/**
 * A server text in the page's language: ``obj[key + "_vi"]`` on a Vietnamese page (when the
 * server sent one), else ``obj[key]``. For messages, audit entries and undo/redo labels.
 */
export function said(obj, key = "message") {
  if (!obj) return "";
  return (inVietnamese() && obj[`${key}_vi`]) || obj[key] || "";
}

// Refusals the client makes up itself (show-client.js) carry English only.
const CLIENT_ERRORS_VI = { offline: "chưa kết nối tới máy chủ", timeout: "máy chủ không trả lời" };

/** An error ACK's message in the page's language. */
export function errorText(error) {
  if (inVietnamese() && error && !error.message_vi && CLIENT_ERRORS_VI[error.code]) return CLIENT_ERRORS_VI[error.code];
  return said(error);
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
