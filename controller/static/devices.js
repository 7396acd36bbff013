// The controller's devices panel: a QR code per judge's and team's pad that opens it, signed in, on a
// tablet held up to the screen; which pads are connected now; a warning when the hall cannot reach
// the server. The pads, their addresses and codes come from the server (GET /api/v1/pads, producer
// only): the page never builds an address itself.
import { esc } from "/static/js/show-client.js";
import { errorText, t } from "/controller/ui.js";

const GROUPS = [["judge", "devices.judges"], ["team", "devices.teams"]];

function addStyle() {
  if (document.querySelector("link[data-devices-css]")) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = "/controller/devices.css";
  link.dataset.devicesCss = "";
  document.head.append(link);
}

/**
 * Draw the devices panel inside `root`. `token` is the producer's; `view` is the producer view or a
 * function returning it (its phase tells "not yet connected" from "dropped"; pass a function, so it
 * sees the current view). Returns `render(presence)`, to call with each `presence` event of the
 * /control namespace, and `network`: a promise of where the hall's devices reach the server
 * (`{base, hall, why}`, null if the pads could not be loaded), e.g. for a warning badge.
 */
export function devicesPanel(root, { token, view = null } = {}) {
  addStyle();
  const currentView = () => (typeof view === "function" ? view() : view);
  let presence = null;
  let pads = [];
  root.classList.add("devices");
  root.innerHTML = `<h3 class="devices-title">${esc(t("devices.title"))}</h3>
    <div class="devices-network" hidden></div><div class="devices-groups" aria-busy="true"></div>
    <dialog class="devices-zoom"><figure></figure>
      <form method="dialog"><button class="btn" value="close">${esc(t("devices.close"))}</button></form></dialog>`;
  const where = root.querySelector(".devices-network");
  const groups = root.querySelector(".devices-groups");
  const zoom = root.querySelector(".devices-zoom");

  function padCard(pad) {
    const label = t("devices.enlarge", { name: pad.name });
    return `<li class="device" data-pad="${esc(`${pad.role}/${pad.id}`)}" data-connected="0">
      <button type="button" class="device-qr" title="${esc(label)}" aria-label="${esc(label)}">
        <img src="${esc(pad.qr)}" alt="${esc(t("devices.qr_alt", { name: pad.name }))}" width="176" height="176"></button>
      <span class="device-name">${esc(pad.name)}</span>
      <span class="device-state"></span></li>`;
  }

  function draw(reply) {
    if (!reply.ok) {
      groups.innerHTML = `<p class="bad-text">${esc(t("devices.unavailable", { message: errorText(reply.error) }))}</p>`;
      return;
    }
    pads = reply.pads;
    const { base, hall, why } = reply.network;
    where.hidden = false;
    where.classList.toggle("devices-warning", !hall);
    where.textContent = hall ? t("devices.address", { base }) : t(`devices.why.${why}`, { base });
    groups.innerHTML = `<p class="muted small">${esc(t("devices.hint"))}</p>` + GROUPS.map(([role, title]) => {
      const mine = pads.filter((pad) => pad.role === role);
      return mine.length ? `<section class="device-group" data-role="${role}"><h3>${esc(t(title))}</h3>
        <ul>${mine.map(padCard).join("")}</ul></section>` : "";
    }).join("");
    groups.removeAttribute("aria-busy");
    render(presence);
  }

  function render(next) {
    presence = next || presence;
    const live = (currentView() || {}).phase === "live";
    for (const card of root.querySelectorAll(".device")) {
      const [role, id] = card.dataset.pad.split("/");
      const here = presence ? (role === "judge" ? presence.judges : presence.teams).includes(id) : false;
      card.dataset.connected = here ? "1" : "0";
      // A pad missing while the show is live is an alarm; before it, it is just not there yet.
      const state = here ? "connected" : live ? "dropped" : "waiting";
      card.dataset.state = state;
      card.querySelector(".device-state").textContent = t(`devices.${state}`);
    }
  }

  groups.addEventListener("click", (event) => {
    const card = event.target.closest(".device");
    if (!card) return;
    const pad = pads.find((x) => `${x.role}/${x.id}` === card.dataset.pad);
    zoom.dataset.pad = card.dataset.pad;
    zoom.querySelector("figure").innerHTML = `<img src="${esc(pad.qr)}" alt="${esc(t("devices.qr_alt", { name: pad.name }))}">
      <figcaption><strong>${esc(pad.name)}</strong>
        <code>${esc(pad.url)}</code></figcaption>`;
    zoom.showModal();
  });
  zoom.addEventListener("click", (event) => { if (event.target === zoom) zoom.close(); });
  // Escape closes the enlarged code only, not the page's own drawer or shortcut under it.
  zoom.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    event.stopPropagation();
    zoom.close();
  });

  // Opened from its link, the controller signs in with its cookie; a token given here is sent as before.
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const network = fetch("/api/v1/pads", { headers, cache: "no-store" })
    .then((response) => response.json())
    .catch((error) => ({ ok: false, error: { message: String(error) } }))
    .then((reply) => { draw(reply); return reply.ok ? reply.network : null; });
  return { render, network };
}
