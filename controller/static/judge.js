// A judge's pad: one score sheet per team for the judged segment on air, with this judge's own scores only.
// The server checks every number again; the page only helps the judge not to send a wrong one. A card is
// open when the view's `can.submit_scores` lists its team (the rules, asked by the server).
import { ShowClient } from "/static/js/show-client.js";
import { allowed } from "/static/js/can.js";
import { plain, points } from "/static/js/format.js";
import { fitName, refitAll } from "/overlays/dom.js";
import { report, showStatus, t } from "/controller/ui.js";

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token") || "";
const lang = document.documentElement.lang || "vi";
// What a judge types and adds up (10, 7.5) as written; the teams' scores with the show's decimals.
const fmt = { format: (v) => plain(v, lang) };
const STEP = 0.5;

let view = null;
let sheetKey = ""; // which segment, criteria and teams the cards were built for
const cards = new Map(); // team id -> {el, inputs: Map(criterion id -> input), button, badge, note, total}
const pending = new Map(); // team id -> {scores, rev}: sent and acknowledged, not yet in our view
const sending = new Set(); // team ids with a submit on its way

// `me`: the judge this page was drawn for, so a cookie since swapped for another judge's is refused.
const client = new ShowClient("/judge", { token, me: $("judge-name").dataset.judge || "" }, {
  onView: (v) => { view = v; render(); },
  onStatus: (status) => {
    document.body.dataset.status = status;
    showStatus($("status"), status);
    $("offline").hidden = status !== "offline";
    $("refused").hidden = status !== "refused";
    $("main").hidden = status === "refused";
    document.body.classList.toggle("is-offline", status !== "live");
    if (view) render();
  },
});

// -- the view -----------------------------------------------------------------------------------------

/** Whether a segment (on air, or in the rundown) is scored by the judges: what it offers, or it has a panel. */
const judgedHere = (seg) => (seg.capabilities ? Boolean(seg.capabilities.judged) : Boolean(view.judged && view.judged[seg.id]));
const judgedSegment = () => (view && view.phase === "live" && view.segment && judgedHere(view.segment) ? view.segment : null);
/** Whether this judge may score `team` now (locked and revealed scores may not be changed). */
const open = (team) => allowed(view, "submit_scores", { id: team });

/** This judge's saved scores for a team ({criterion: number}), or null. Only ever from `me`. */
function saved(segId, team) {
  const p = pending.get(team);
  if (p && client.rev < p.rev) return p.scores;
  const mine = ((view.me && view.me.judged) || {})[segId];
  return (mine && mine.scores && mine.scores[team]) || null;
}

// -- one card per team -------------------------------------------------------------------------------

function buildCards(seg, criteria) {
  cards.clear();
  pending.clear();
  const maxTotal = criteria.reduce((sum, c) => sum + c.max, 0);
  const els = view.teams.map((team) => {
    const el = document.createElement("article");
    el.className = "card";
    el.dataset.team = team.id;
    const head = document.createElement("header");
    head.className = "card-head";
    const who = document.createElement("div");
    who.className = "card-who";
    const name = document.createElement("h2");
    name.className = "card-team";
    fitName(name, team.name, team.short_name);
    const score = document.createElement("span");
    score.className = "card-score";
    who.append(name, score);
    const badge = document.createElement("span");
    badge.className = "badge";
    head.append(who, badge);
    const form = document.createElement("form");
    form.className = "fields";
    form.noValidate = true;
    const inputs = new Map();
    for (const c of criteria) {
      const field = document.createElement("label");
      field.className = "field";
      const label = document.createElement("span");
      label.className = "crit-name";
      label.textContent = c.name;
      const input = document.createElement("input");
      Object.assign(input, { type: "number", min: "0", max: String(c.max), step: String(STEP), inputMode: "decimal" });
      input.dataset.criterion = c.id;
      input.dataset.max = String(c.max);
      input.setAttribute("aria-label", `${team.name}: ${c.name}`);
      const max = document.createElement("span");
      max.className = "crit-max";
      max.textContent = t("judge.of_max", { max: fmt.format(c.max) });
      const error = document.createElement("span");
      error.className = "field-error";
      error.hidden = true;
      field.append(label, input, max, error);
      form.append(field);
      inputs.set(c.id, input);
    }
    const foot = document.createElement("footer");
    foot.className = "card-foot";
    const total = document.createElement("span");
    total.className = "total";
    const button = document.createElement("button");
    button.type = "submit";
    button.className = "btn btn-primary submit";
    button.textContent = t("judge.submit");
    foot.append(total, button);
    form.append(foot);
    const note = document.createElement("p");
    note.className = "card-note";
    note.setAttribute("role", "status");
    el.append(head, form, note);
    const card = { el, inputs, button, badge, note, total, score, maxTotal, dirty: false, team: team.id };
    form.addEventListener("input", () => { card.dirty = differs(card); update(card); });
    form.addEventListener("submit", (e) => { e.preventDefault(); submit(card); });
    cards.set(team.id, card);
    return el;
  });
  $("cards").replaceChildren(...els);
}

/** A criterion input's problem, or "" if it holds a valid score. */
function problem(input) {
  const max = Number(input.dataset.max);
  if (input.validity.badInput) return t("judge.not_a_number");
  if (input.value === "") return "missing";
  const value = Number(input.value);
  if (!Number.isFinite(value) || value < 0 || value > max) return t("judge.out_of_range", { max: fmt.format(max) });
  if (Math.abs(value / STEP - Math.round(value / STEP)) > 1e-9) return t("judge.step", { step: fmt.format(STEP) });
  return "";
}

function values(card) {
  const out = {};
  for (const [id, input] of card.inputs) out[id] = input.value === "" ? null : Number(input.value);
  return out;
}

function differs(card) {
  const before = saved(judgedSegment().id, card.team);
  const now = values(card);
  return Object.entries(now).some(([id, v]) => (before ? before[id] ?? null : null) !== v);
}

function fill(card, scores) {
  for (const [id, input] of card.inputs) {
    const v = scores ? scores[id] : undefined;
    input.value = v === undefined || v === null ? "" : String(v);
  }
}

/** Validity, total, badge and buttons of one card, from its inputs and the view. */
function update(card) {
  const seg = judgedSegment();
  if (!seg) return;
  const locked = !open(card.team);
  const revealed = ((view.judged[seg.id] || {}).revealed || []).includes(card.team);
  const before = saved(seg.id, card.team);
  let invalid = 0;
  let missing = 0;
  let total = 0;
  for (const input of card.inputs.values()) {
    const why = locked ? "" : problem(input);
    const error = input.parentElement.querySelector(".field-error");
    const bad = why !== "" && why !== "missing";
    input.classList.toggle("invalid", bad);
    input.setAttribute("aria-invalid", String(bad));
    error.hidden = !bad;
    error.textContent = bad ? why : "";
    if (bad) invalid++;
    else if (why === "missing") missing++;
    else if (input.value !== "") total += Number(input.value);
    input.disabled = locked;
  }
  card.el.classList.toggle("locked", locked);
  card.el.classList.toggle("has-invalid", invalid > 0);
  card.total.textContent = t("judge.total", { total: fmt.format(total), max: fmt.format(card.maxTotal) });
  const team = view.teams.find((x) => x.id === card.team);
  card.score.textContent = team ? t("judge.team_score", { points: points(team.score, view.show.decimals, lang) }) : "";
  const busy = sending.has(card.team);
  card.button.hidden = locked;
  card.button.disabled = locked || busy || invalid > 0 || missing > 0 || !card.dirty || client.status !== "live";
  card.button.textContent = t(before ? "judge.resubmit" : "judge.submit");
  let badge = "";
  let state = "";
  if (revealed) { badge = t("judge.revealed"); state = "locked"; }
  else if (locked) { badge = t("common.locked"); state = "locked"; }
  else if (card.dirty && before) { badge = t("judge.changed"); state = "changed"; }
  else if (before) { badge = t("judge.sent"); state = "sent"; }
  else { badge = t("judge.not_scored"); state = "todo"; }
  card.badge.textContent = badge;
  card.badge.dataset.state = state;
  card.el.dataset.state = state;
  let note = "";
  if (locked) note = t("judge.locked_note");
  else if (busy) note = t("judge.sending");
  else if (invalid > 0) note = t("judge.fix_first");
  else if (card.dirty && missing > 0) note = t("judge.fill_all");
  card.note.textContent = note;
  card.note.dataset.kind = invalid > 0 ? "bad" : "";
}

async function submit(card) {
  const seg = judgedSegment();
  if (!seg || card.button.disabled) return;
  const scores = values(card);
  sending.add(card.team);
  update(card);
  const name = (view.teams.find((x) => x.id === card.team) || { name: card.team }).name;
  const ack = report(await client.send("submit_scores", { team: card.team, scores }), t("judge.sent_toast", { team: name }));
  sending.delete(card.team);
  if (ack.ok) {
    pending.set(card.team, { scores, rev: ack.rev });
    card.dirty = false;
  }
  render();
}

// -- rendering ----------------------------------------------------------------------------------------

function render() {
  if (!view) return;
  const me = view.me ? view.judges.find((j) => j.id === view.me.judge) : null;
  $("judge-name").textContent = me ? me.name : t("judge.title");
  $("judge-role").textContent = me ? me.title : "";
  document.title = `${t("judge.title")} · ${me ? me.name : ""}`;
  const seg = judgedSegment();
  $("waiting").hidden = !!seg;
  $("sheet").hidden = !seg;
  if (!seg) { renderWaiting(); return; }
  const criteria = (view.judged[seg.id] || {}).criteria || [];
  const key = JSON.stringify([seg.id, criteria, view.teams.map((x) => [x.id, x.name])]);
  if (key !== sheetKey) { sheetKey = key; buildCards(seg, criteria); }
  let scored = 0;
  for (const card of cards.values()) {
    const before = saved(seg.id, card.team);
    if (before) scored++;
    // Never overwrite what the judge is typing; a locked sheet goes back to what was saved.
    if (!card.dirty || !open(card.team)) { fill(card, before); card.dirty = false; }
    update(card);
  }
  $("sheet-title").textContent = seg.title;
  $("sheet-progress").textContent = t("judge.progress", { n: scored, total: cards.size });
}

function renderWaiting() {
  sheetKey = "";
  let title = view.segment ? view.segment.title : t("common.no_segment");
  let text = t("judge.wait");
  if (view.phase === "setup") { title = t("judge.wait_start"); text = view.show.title; }
  else if (view.phase === "ended") { title = t("judge.show_ended"); text = t("judge.thanks"); }
  else {
    const from = view.segment ? view.segment.index : -1;
    const next = view.rundown.find((s) => s.index > from && judgedHere(s));
    if (next) text = t("judge.next", { segment: next.title });
  }
  $("waiting-title").textContent = title;
  $("waiting-text").textContent = text;
}

// Team names are fitted to their boxes; the web font and the screen's width change those boxes.
document.fonts.ready.then(refitAll);
window.addEventListener("resize", refitAll);
