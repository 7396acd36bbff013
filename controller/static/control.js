// The producer's controller: renders the producer view and turns clicks and keys into commands.
// What a control may do comes from the view (`can`, `next_action`, the segment's looks and
// overlays), never from round names: the rules live on the server.
import { points as formatPoints } from "/static/js/format.js";
import { ShowClient, esc, seconds } from "/static/js/show-client.js";
import { allowed } from "/static/js/can.js";
import { T, ask, dialogOpen, report, said, showStatus, t, toast } from "/controller/ui.js";
import { seasonPanel } from "/controller/season.js";

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token") || "";
const lang = document.documentElement.lang;
let view = null;
let presence = null;

// Points as every page writes them (static/js/format.js, one formatter per locale).
const points = (value) => (value == null ? "—" : formatPoints(Number(value), view && view.show ? view.show.decimals : undefined, lang));

const client = new ShowClient("/control", { token }, {
  onView: (v) => { view = v; render(); },
  onStatus: (status, detail) => {
    document.body.dataset.status = status;
    showStatus($("status"), status);
    if (status === "refused") toast(said(detail));
  },
  onEvent: (name, data) => { if (name === "presence") { presence = data; renderClients(); } },
});

/** Send a command; show the server's words if it was refused. */
async function cmd(event, payload = {}) {
  return report(await client.send(event, payload));
}

const teamName = (id) => (view.teams.find((x) => x.id === id) || { name: id }).name;
const segmentOf = () => (view.segment ? view.rundown[view.segment.index] : null);

/** Whether the rules would accept a command now (`view.can`, and no countdown ran out for it). */
const can = (key) => allowed(view, key, { now: client.serverNow() });

/** Whether a team command ("judge", "place_star", "choose_package") would be accepted for ``team``. */
const canFor = (key, team) => allowed(view, key, { id: team, now: client.serverNow() });

/** What the segment on air offers (questions, a judges' panel, packages, votes...); null if the server does not say. */
const caps = () => (view.segment && view.segment.capabilities) || null;

const overlayName = (name) => t(`control.overlay.${name}`);

// -- rendering ---------------------------------------------------------------------------------

function render() {
  if (!view) return;
  document.body.dataset.phase = view.phase;
  renderHeader();
  renderRundown();
  renderQuestion();
  renderRound();
  renderResult();
  renderScoreboard();
  renderAudit();
  renderLooks();
  renderOverlays();
  renderNext();
  renderStrap();
  renderClients();
  season.render();
}

function renderHeader() {
  const seg = view.segment;
  $("segment-title").textContent = seg ? `${seg.title} · ${t(`control.round.${seg.round}`)}`
    : t(view.phase === "ended" ? "common.ended" : "common.no_segment");
  const undo = said(view, "undo");
  const redo = said(view, "redo");
  $("undo").disabled = !view.undo || !can("undo");
  $("redo").disabled = !view.redo || !can("redo");
  $("undo-label").textContent = undo ? `${t("control.undo")}: ${undo}` : "";
  $("undo").title = `${undo || t("control.nothing")} (Ctrl+Z)`;
  $("redo").title = `${redo || t("control.nothing")} (Ctrl+Shift+Z)`;
}

function renderRundown() {
  const current = view.segment ? view.segment.index : -1;
  $("progress").textContent = current >= 0 && current < view.rundown.length
    ? t("control.progress", { n: current + 1, total: view.rundown.length }) : "";
  const key = JSON.stringify([view.rundown.map((s) => [s.title, s.round]), current]);
  if ($("rundown").dataset.key !== key) {
    $("rundown").dataset.key = key;
    $("rundown").innerHTML = view.rundown.map((s) => `
      <li class="${s.index === current ? "is-current" : s.index === current + 1 ? "is-next" : s.index < current ? "is-done" : ""}">
        <button data-goto="${s.index}" title="${esc(s.title)}"><span class="seg-title">${s.index + 1}. ${esc(s.title)}</span>
        <span class="round">${esc(t(`control.round.${s.round}`))}${s.index === current + 1 ? ` · ${esc(t("control.next_up"))}` : ""}</span></button>
      </li>`).join("");
    const here = $("rundown").querySelector(".is-current");
    if (here) here.scrollIntoView({ block: "nearest" });
  }
  $("start-show").hidden = !can("start_show");
  $("end-show").hidden = view.phase !== "live";
  $("start-show").disabled = !can("start_show");
  $("end-show").disabled = !can("end_show");
  $("prev").disabled = !can("prev_segment");
  $("next").disabled = !can("next_segment");
  $("tiebreak").hidden = !tiebreakPossible();
  $("tiebreak").title = tiedTeams().map(teamName).join(", ");
}

function tiedTeams() {
  return (view.ties && view.ties[0]) || [];
}

/** A tie-break for the first tied group, when the rules would start one now. */
function tiebreakPossible() {
  return can("start_tiebreak");
}

function renderQuestion() {
  const q = view.question;
  const phase = $("q-phase");
  const seg = view.segment;
  // A segment without questions (judged on the pads) has no question controls: its panel takes the room.
  const judgedHere = !q && seg && (caps() ? !caps().questions : Boolean(view.judged && view.judged[seg.id]));
  $("question").hidden = Boolean(judgedHere);
  $("q-actions").hidden = Boolean(judgedHere);
  $("current-h").textContent = t(judgedHere ? "control.judges" : "control.question");
  if (!q) {
    $("question").innerHTML = `<p class="muted">${esc(t("control.no_question"))}</p>`;
    phase.textContent = "";
    phase.className = "phase";
  } else {
    phase.textContent = t(`control.phase.${q.phase}`);
    phase.className = `phase ${q.phase}`;
    const options = q.options ? `<ul class="options">${Object.entries(q.options).map(([k, v]) =>
      `<li class="${k === q.answer ? "correct" : ""}"><b>${k}.</b> ${esc(v)}${k === q.answer ? ' <span class="tick">✓</span>' : ""}</li>`).join("")}</ul>` : "";
    $("question").innerHTML = `
      <p class="text">${esc(q.text)}</p>${options}
      <p class="meta"><span class="muted">${esc(t("control.answer"))}:</span> <span class="answer">${esc(q.answer ?? "—")}</span>
      ${q.value ? ` · <span class="muted">${esc(t("control.value"))}:</span> ${esc(points(q.value))}` : ""}
      ${q.star ? ` · ★ ${esc(t("control.star"))}` : ""}
      ${q.turn ? ` · <span class="muted">${esc(t("control.turn"))}:</span> <b>${esc(teamName(q.turn))}</b>` : ""}</p>`;
  }
  $("show-next").disabled = !can("show_question");
  $("open").disabled = !can("open_answers");
  $("close").disabled = !can("close_answers");
  $("reveal").disabled = !can("reveal_answer");
  $("reset").disabled = !can("reset_question");
  const timer = view.timer;
  const toggle = timerToggle();
  $("timer-toggle").innerHTML = `${esc(t({ pause_timer: "control.timer_pause", resume_timer: "control.timer_resume",
    start_timer: "control.timer_start" }[toggle]))} <kbd>T</kbd>`;
  $("timer-toggle").disabled = !can(toggle);
  $("timer-add").disabled = !can("add_time");
  $("timer-reset").disabled = !can("reset_timer");
  $("t-actions").hidden = !timer.duration_ms && !can("start_timer");
}

function renderRound() {
  const seg = view.segment;
  const q = view.question;
  const box = $("round-panel");
  // The panel follows what the segment offers: judges' scores, the phones' tally, packages, the teams' answers.
  const offers = caps() || { judged: Boolean(seg && view.judged && view.judged[seg.id]), votes: Boolean(q && q.tally),
    packages: Boolean(seg && seg.packages) };
  if (seg && offers.judged && view.judged && view.judged[seg.id]) box.innerHTML = judgedPanel(view.judged[seg.id]);
  else if (q && offers.votes && q.tally) box.innerHTML = audiencePanel();
  else if (seg) box.innerHTML = (offers.packages && seg.packages ? packagesPanel() : "") + teamsPanel();
  else box.innerHTML = "";
  // Widths through the CSSOM: the CSP allows no style="" attribute in markup.
  for (const fill of box.querySelectorAll(".fill[data-pct]")) fill.style.width = `${fill.dataset.pct}%`;
}

function teamsPanel() {
  const q = view.question;
  const rows = view.teams.map((team) => {
    const a = q && q.answers[team.id];
    const floor = q && q.floor === team.id;
    const locked = q && q.locked.includes(team.id);
    let answer = `<span class="muted">${esc(t("control.no_answer"))}</span>`;
    if (a) {
      const mark = a.correct === true ? "good" : a.correct === false ? "bad" : "";
      const time = a.elapsed_ms != null ? ` <span class="muted">(${formatPoints(a.elapsed_ms / 1000, 2, lang)} s)</span>` : "";
      answer = `<span class="ans ${mark}">${esc(a.text || t("control.answered"))}${time}</span>`;
    } else if (locked) answer = `<span class="muted">${esc(t("control.locked_out"))}</span>`;
    const judge = q && canFor("judge", team.id);
    const keys = floor || (q && q.turn === team.id && !q.floor);
    return `<div class="teamrow ${floor ? "floor" : ""} ${locked ? "locked" : ""}" data-team="${team.id}">
      <span class="name">${floor ? '<span class="floor-mark">▶</span> ' : ""}${esc(team.name)}</span>${answer}
      <span class="row row-flush">
        <button class="btn btn-good" data-judge="${team.id}" data-correct="1" ${judge ? "" : "disabled"}>✓ ${esc(t("control.correct"))}${keys ? " <kbd>Y</kbd>" : ""}</button>
        <button class="btn btn-bad" data-judge="${team.id}" data-correct="0" ${judge ? "" : "disabled"}>✗ ${esc(t("control.wrong"))}${keys ? " <kbd>X</kbd>" : ""}</button>
      </span></div>`;
  }).join("");
  const buzzes = q && q.buzzes.length ? `<p class="buzzes">${esc(t("control.buzz_order"))}: ${q.buzzes.map((b, i) =>
    `${i + 1}. ${esc(teamName(b.team))}`).join(" · ")}</p>` : "";
  const steal = q && q.phase === "steal" ? `<p class="buzzes"><b>${esc(t("control.steal"))}</b></p>` : "";
  return `${steal}${buzzes}<div class="teamrows">${rows}</div>`;
}

function packagesPanel() {
  const seg = segmentOf();
  const chosen = (view.packages && view.packages[seg.id]) || {};
  const values = view.segment.packages.values;
  const size = view.segment.packages.size;
  const rows = view.teams.map((team) => {
    const pack = chosen[team.id];
    const star = canFor("place_star", team.id) && view.can
      ? `<button class="btn" data-star="${team.id}">★ ${esc(t("control.place_star"))}</button>` : (team.star_used ? "★" : "");
    const choose = !pack && canFor("choose_package", team.id);
    const picker = pack ? pack.join(", ") : Array.from({ length: size }, (_, i) =>
      `<select data-pick="${team.id}" data-slot="${i}" ${choose ? "" : "disabled"}>${values.map((v) => `<option>${v}</option>`).join("")}</select>`).join(" ")
      + ` <button class="btn" data-choose="${team.id}" ${choose ? "" : "disabled"}>${esc(t("control.choose_package"))}</button>`;
    return `<div class="teamrow"><span class="name">${esc(team.name)}</span><span>${esc(t("control.package"))}: ${picker}</span><span>${star}</span></div>`;
  }).join("");
  return `<div class="teamrows">${rows}</div>`;
}

function judgedPanel(j) {
  const head = `<tr><th>${esc(t("control.teams"))}</th>${view.judges.map((x) => `<th title="${esc(x.title || "")}">${esc(x.name)}</th>`).join("")}
    <th>${esc(t("control.mean"))}</th><th></th></tr>`;
  const rows = view.teams.map((team) => {
    const totals = [];
    const cells = view.judges.map((judge) => {
      const s = j.scores[judge.id] && j.scores[judge.id][team.id];
      if (!s) return `<td class="muted">${esc(t("control.waiting"))}</td>`;
      const total = Object.values(s).reduce((a, b) => a + b, 0);
      totals.push(total);
      return `<td>${esc(points(total))}</td>`;
    }).join("");
    const mean = totals.length ? points(totals.reduce((a, b) => a + b, 0) / totals.length) : "—";
    const locked = j.locked.includes(team.id);
    const revealed = j.revealed.includes(team.id);
    const actions = revealed ? `<span class="good-text">${esc(t("control.revealed"))}</span>` : `
      <button class="btn btn-small" data-lock="${team.id}" data-locked="${locked ? 1 : 0}">${esc(t(locked ? "control.unlock" : "control.lock"))}</button>
      <button class="btn btn-small btn-primary" data-reveal-team="${team.id}">${esc(t("control.reveal_scores"))}</button>`;
    return `<tr><td>${esc(team.name)}</td>${cells}<td><b>${esc(mean)}</b></td><td class="row row-flush">${actions}</td></tr>`;
  }).join("");
  let vote = "";
  if (j.audience_share) {
    vote = `<h2 class="gap-top">${esc(t("control.vote"))} (${Math.round(j.audience_share * 100)}%)</h2>
      <div class="row"><button class="btn" id="vote-open" ${can("open_voting") ? "" : "disabled"}>${esc(t("control.vote_open"))}</button>
      <button class="btn" id="vote-close" ${can("close_voting") ? "" : "disabled"}>${esc(t("control.vote_close"))}</button>
      <span class="muted">${j.tally.total} ${esc(t("control.votes"))}</span></div>
      ${bars(view.teams.map((x) => [x.name, j.tally.counts[x.id] || 0]), j.tally.total)}`;
  }
  return `<table class="judged">${head}${rows}</table>
    <div class="row"><button class="btn" id="lock-all" ${can("lock_scores") ? "" : "disabled"}>${esc(t("control.lock_all"))}</button>
    <button class="btn btn-primary" id="reveal-all" ${can("reveal_scores") ? "" : "disabled"}>${esc(t("control.reveal_all"))}</button></div>${vote}`;
}

function bars(entries, total) {
  return `<div class="bars">${entries.map(([label, n]) => {
    const pct = total ? Math.round((n / total) * 100) : 0;
    return `<div class="bar"><span>${esc(label)}</span><span class="track"><span class="fill" data-pct="${pct}"></span></span><span>${n} · ${pct}%</span></div>`;
  }).join("")}</div>`;
}

function audiencePanel() {
  const q = view.question;
  const entries = Object.keys(q.options || {}).map((k) => [`${k}. ${q.options[k]}`, q.tally.counts[k] || 0]);
  const winners = q.winners.length ? `<h2 class="gap-top">${esc(t("control.winners"))}</h2>
    <ol class="winners">${q.winners.map((w) => `<li>${esc(w.nickname || "—")}</li>`).join("")}</ol>` : "";
  return `<p class="muted">${q.tally.total} ${esc(t("control.votes"))}</p>${bars(entries, q.tally.total)}${winners}`;
}

/** After the end: the final ranking, the winner, a tie the rules would settle by a tie-break. */
function renderResult() {
  const ended = view.phase === "ended";
  $("result").hidden = !ended;
  $("current").hidden = ended;
  if (!ended) return;
  const first = view.standings.filter((s) => s.rank === 1).map((s) => s.team);
  const tied = tiedTeams();
  // A hall quiz has no teams: its result is the audience's winners, question by question.
  const audience = (view.audience_winners || []).filter((q) => q.winners.length);
  $("result-winner").innerHTML = !view.teams.length
    ? `<span class="crown">🏆</span> <span class="muted">${esc(t("control.winners"))}:</span> <b data-winners>${esc(
      audience.map((q) => q.winners.map((w) => w.nickname || "—").join(", ")).join(" · ") || "—")}</b>`
    : first.length === 1
      ? `<span class="crown">🏆</span> <span class="muted">${esc(t("control.winner"))}:</span> <b data-winner="${esc(first[0])}">${esc(teamName(first[0]))}</b>`
      : `<span class="warn-text">${esc(t("control.result_tied", { teams: first.map(teamName).join(", ") }))}</span>`;
  $("result-ranking").innerHTML = view.standings.map((s) => `
    <li class="${s.rank === 1 ? "first" : ""} ${tied.includes(s.team) ? "tied" : ""}" data-team="${esc(s.team)}">
      <span class="rank">${s.rank}</span><span class="name">${esc(teamName(s.team))}</span>
      <span class="pts">${esc(points(s.points))}</span>
      ${tied.includes(s.team) ? `<span class="tag">${esc(t("control.result_tiebreak"))}</span>` : "<span></span>"}</li>`).join("");
  const undo = said(view, "undo");
  $("result-undo").disabled = !view.undo || !can("undo");
  $("result-undo-label").textContent = undo;
}

function renderScoreboard() {
  const rank = Object.fromEntries(view.standings.map((s) => [s.team, s.rank]));
  const teams = [...view.teams].sort((a, b) => rank[a.id] - rank[b.id]);
  $("scoreboard").innerHTML = teams.map((team) => `
    <li data-team="${team.id}"><span class="rank">${rank[team.id]}</span><span class="name" title="${esc(team.name)}">${esc(team.short_name || team.name)}</span>
      <span class="pts" data-value="${team.score}">${esc(points(team.score))}</span>
      <span class="adj">
        <button class="btn btn-small" data-quick="${team.id}" data-points="-5" aria-label="−5 ${esc(team.name)}">−5</button>
        <button class="btn btn-small" data-quick="${team.id}" data-points="5" aria-label="+5 ${esc(team.name)}">+5</button>
        <button class="btn btn-small" data-adjust="${team.id}">${esc(t("control.adjust"))}</button>
      </span></li>`).join("");
}

function renderAudit() {
  const entries = Object.entries(view.audit || {}).sort((a, b) => Number(b[0]) - Number(a[0]));
  $("audit").innerHTML = entries.map(([seq, e]) => {
    const time = new Date(e.at).toLocaleTimeString("vi-VN", { hour12: false });
    const what = said(e, "what");
    // "giám khảo X chấm …" already says who; the author is named only when the words do not.
    const who = said(e, "who") || e.by;
    const by = what.startsWith(who) ? "" : ` · ${esc(who)}`;
    return `<li class="${e.undone ? "undone" : ""}"><span class="muted">#${seq} ${time}${by}</span>
      <span class="what">${esc(what)}</span>${e.undone ? ` <span class="muted">(${esc(t("control.undone"))})</span>` : ""}</li>`;
  }).join("");
}

// -- on air: the segment's looks, its overlay switches, the program monitor --------------------

/** The overlays the segment offers (null: every overlay, e.g. before the show). */
function offeredOverlays() {
  const seg = view.segment;
  if (!seg) return null;
  const offered = seg.overlays || (view.rundown[seg.index] && view.rundown[seg.index].overlays);
  return offered ? new Set(offered) : null;
}

function renderLooks() {
  const looks = (view.segment && view.segment.looks) || [];
  $("looks").hidden = !looks.length;
  $("looks").innerHTML = looks.map((look, i) => {
    const on = view.look === look.id;
    const parts = look.overlays.map(overlayName).join(" + ") || "—";
    const title = `${look.title}${i === 0 ? ` (${t("control.look_default")})` : ""}: ${parts}`;
    return `<button type="button" class="look ${on ? "on" : ""}" data-look="${esc(look.id)}" aria-pressed="${on}" title="${esc(title)}">
      <span class="look-title">${on ? '<span class="live-dot"></span>' : ""}${esc(look.title)}</span>
      <span class="look-parts small">${esc(parts)}</span></button>`;
  }).join("");
  const now = looks.find((x) => x.id === view.look);
  $("look-now").textContent = now ? `· ${now.title}` : "";
}

let showAllOverlays = false;
function renderOverlays() {
  const offered = offeredOverlays();
  const info = view.overlays || {};
  let folded = 0;
  for (const label of document.querySelectorAll("[data-switch]")) {
    const name = label.dataset.switch;
    const box = label.querySelector("input");
    const on = view.on_air.includes(name);
    const o = info[name];
    const ready = !o || o.ready !== false;
    box.checked = on;
    box.disabled = !ready && !on;
    label.classList.toggle("on", on);
    label.classList.toggle("not-ready", !ready);
    const why = !ready && o.why ? (T[`control.why.${o.why}`] ? t(`control.why.${o.why}`) : o.why) : "";
    label.querySelector(".why").textContent = why;
    label.title = why;
    // An overlay on air always shows, so it can be taken off whatever the segment lists.
    const shown = !offered || offered.has(name) || on;
    if (!shown) folded += 1;
    label.hidden = !shown && !showAllOverlays;
  }
  const more = $("more-overlays");
  more.hidden = !folded;
  more.setAttribute("aria-expanded", String(showAllOverlays));
  more.textContent = showAllOverlays ? t("control.overlays_fewer") : t("control.overlays_more", { n: folded });
}

// The natural next step (view.next_action): what it is called, its key, the button it presses.
const NEXT = {
  start_show: ["control.start_show", "", "start-show"],
  show_question: ["control.show_next", "N", "show-next"],
  open_answers: ["control.open", "O", "open"],
  close_answers: ["control.close", "C", "close"],
  reveal_answer: ["control.reveal", "R", "reveal"],
  close_voting: ["control.vote_close", "", "vote-close"],
  open_voting: ["control.vote_open", "", "vote-open"],
  reveal_scores: ["control.reveal_all", "", "reveal-all"],
  next_segment: ["control.next_segment", "PgDn", "next"],
  start_tiebreak: ["control.tiebreak_start", "", "tiebreak"],
  end_show: ["control.end_show", "", "end-show"],
};

function renderNext() {
  const key = view.next_action;
  const box = $("next-up");
  if (!key) {
    box.innerHTML = view.next_action === null ? `<span class="muted">${esc(t("control.next_none"))}</span>` : "";
    return;
  }
  const current = view.segment ? view.segment.index : -1;
  const upcoming = view.rundown[current + 1];
  let label;
  let hint = "";
  if (key === "judge") {
    const q = view.question;
    const team = q && (q.floor || q.turn);
    label = team ? t("control.next_judge", { team: teamName(team) }) : t("control.next_judge_any");
    hint = team ? "Y / X" : "";
  } else if (NEXT[key]) {
    label = key === "next_segment" && upcoming ? t("control.next_segment_to", { title: upcoming.title }) : t(NEXT[key][0]);
    hint = NEXT[key][1];
  } else label = key;
  // What goes on air with it: a new segment takes its first look (or its graphics).
  let look = "";
  if (key === "next_segment" && upcoming) {
    const first = upcoming.looks && upcoming.looks[0];
    const parts = first ? first.overlays : upcoming.overlays || [];
    look = first ? `${first.title} (${parts.map(overlayName).join(" + ")})` : parts.map(overlayName).join(" + ");
  }
  const target = NEXT[key] && NEXT[key][2];
  box.innerHTML = `<span class="muted">${esc(t("control.next_action"))}:</span>
    ${target ? `<button type="button" class="btn btn-small btn-next" data-press="${target}" data-next="${esc(key)}">${esc(label)}${hint ? ` <kbd>${esc(hint)}</kbd>` : ""}</button>`
      : `<b data-next="${esc(key)}">${esc(label)}</b>${hint ? ` <kbd>${esc(hint)}</kbd>` : ""}`}
    ${look ? `<span class="next-look small" title="${esc(look)}"><span class="muted">${esc(t("control.next_look"))}:</span> ${esc(look)}</span>` : ""}`;
}

// -- the lower third ---------------------------------------------------------------------------

// Who can be introduced (built once per cast, so a choice survives updates) and what the strap says now.
let strapCast = "";
function renderStrap() {
  const cast = JSON.stringify([view.teams.map((x) => [x.id, x.name, x.members]), view.judges]);
  if (cast !== strapCast) {
    strapCast = cast;
    const select = $("strap-who");
    const chosen = select.value;
    const option = (value, label) => `<option value="${esc(value)}">${esc(label)}</option>`;
    const teams = view.teams.map((team) => `<optgroup label="${esc(team.name)}">
      ${option(`team:${team.id}`, t("control.strap_team", { team: team.name }))}
      ${team.members.map((m) => option(`member:${m.id}`, m.role ? `${m.name} — ${m.role}` : m.name)).join("")}</optgroup>`);
    const judges = view.judges.length ? `<optgroup label="${esc(t("control.judges"))}">
      ${view.judges.map((j) => option(`judge:${j.id}`, j.name)).join("")}</optgroup>` : "";
    select.innerHTML = `${teams.join("")}${judges}<optgroup label="${esc(t("control.strap_guest"))}">
      ${option("guest", t("control.strap_guest_option"))}</optgroup>`;
    if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
    $("strap-guest").hidden = select.value !== "guest";
  }
  const strap = view.lower_third;
  const on = view.on_air.includes("lower_third");
  const now = $("strap-now");
  now.dataset.on = strap && on ? "1" : "0";
  now.innerHTML = strap
    ? `<span class="tag">${esc(t(on ? "control.strap_on_air" : "control.strap_hidden"))}</span>
      <span class="who"><b>${esc(strap.name)}</b>${strap.title ? `<span class="muted">${esc(strap.title)}</span>` : ""}</span>`
    : `<span class="muted">${esc(t("control.strap_none"))}</span>`;
}

/** Put the chosen team, member, judge or guest on air. */
function showStrap() {
  const value = $("strap-who").value;
  if (value === "guest") return cmd("show_lower_third", { name: $("strap-name").value, title: $("strap-title").value });
  const colon = value.indexOf(":");
  return cmd("show_lower_third", { [value.slice(0, colon)]: value.slice(colon + 1) });
}

$("strap").addEventListener("submit", (e) => {
  e.preventDefault();
  if (view) showStrap();
});
$("strap-who").addEventListener("change", () => {
  const guest = $("strap-who").value === "guest";
  $("strap-guest").hidden = !guest;
  if (guest) $("strap-name").focus();
});
{
  const toggles = [...document.querySelectorAll("[data-overlay]")].map((box) => box.dataset.overlay);
  const index = toggles.indexOf("lower_third");
  $("strap-hint").textContent = index >= 0 && index < 10 ? t("control.strap_hide_hint", { key: (index + 1) % 10 }) : "";
}

// -- devices and OBS: badges in the header, the detail in a drawer -------------------------------

/** OBS as the server's link sees it: connection, program (and preview) scene, the last error. */
function obsStatus(obs) {
  if (!obs || !obs.configured) return `<span class="muted">${esc(t("control.obs_none"))}</span>`;
  const state = { connected: "good-text", offline: "bad-text" }[obs.state] || "muted";
  const row = (label, value) => (value ? `<br><span class="muted">${esc(label)}:</span> ${esc(value)}` : "");
  const error = said(obs, "error");
  const at = obs.error_at ? new Date(obs.error_at).toLocaleTimeString(lang) : "";
  return `<span class="${state}" data-obs-state="${esc(obs.state)}">● ${esc(t(`control.obs_${obs.state}`))}</span>
    <span class="muted">${esc(obs.address)}</span>
    ${row(t("control.obs_program"), obs.program)}
    ${obs.studio_mode ? row(t("control.obs_preview"), obs.preview) : ""}
    ${obs.manual ? `<br><span class="bad-text" data-obs-elsewhere>${esc(t("control.obs_elsewhere", { scene: obs.target }))}</span>` : ""}
    ${error ? `<br><span class="bad-text" data-obs-error>${esc(t("control.obs_error"))} (${esc(at)}): ${esc(error)}</span>` : ""}`;
}

function badge(id, text, level, title = "") {
  const el = $(id);
  el.textContent = text;
  el.dataset.level = level;
  el.title = title || text;
}

// The devices panel (QR codes of the pads, who is connected) comes from devices.js once it is served.
let devices = null;
let devicesAsked = false;
function ensureDevices() {
  if (devicesAsked || !view) return;
  devicesAsked = true;
  import("/controller/devices.js").then((module) => {
    devices = module.devicesPanel($("devices-panel"), { token, view: () => view });
    if (presence) devices.render(presence);
    // A hall that cannot reach the server is an alarm in the header, its reason in the drawer.
    Promise.resolve(devices.network).then((network) => {
      const bad = Boolean(network && !network.hall);
      $("badge-network").hidden = !bad;
      if (bad) badge("badge-network", t("control.badge_network"), "bad", T[`devices.why.${network.why}`] ? t(`devices.why.${network.why}`, { base: network.base }) : network.why);
    });
  }).catch(() => { /* not served: the list below says who is connected */ });
}

function renderClients() {
  if (!view) return;
  ensureDevices();
  const p = presence || { teams: [], judges: [], overlays: 0, audience: 0, controllers: 0 };
  const live = view.phase === "live";
  const missingTeams = view.teams.filter((x) => !p.teams.includes(x.id));
  const missingJudges = view.judges.filter((x) => !p.judges.includes(x.id));
  const level = (missing, all) => (!presence ? "none" : !missing.length ? "good" : live ? "bad" : missing.length === all.length ? "bad" : "warn");
  const names = (xs) => xs.map((x) => x.name).join(", ");
  badge("badge-teams", t("control.badge_teams", { n: view.teams.length - missingTeams.length, total: view.teams.length }),
    level(missingTeams, view.teams), missingTeams.length ? t("control.badge_missing", { names: names(missingTeams) }) : "");
  $("badge-judges").hidden = !view.judges.length;
  badge("badge-judges", t("control.badge_judges", { n: view.judges.length - missingJudges.length, total: view.judges.length }),
    level(missingJudges, view.judges), missingJudges.length ? t("control.badge_missing", { names: names(missingJudges) }) : "");
  const overlays = p.overlays || 0; // OBS's browser sources (the controllers' monitors are counted apart)
  badge("badge-overlays", t("control.badge_overlays", { n: overlays }), !presence ? "none" : overlays ? "good" : "bad",
    overlays ? "" : t("control.no_overlay"));
  badge("badge-audience", t("control.badge_audience", { n: p.audience || 0 }), "none");
  const obs = p.obs;
  const obsLevel = !obs || !obs.configured ? "none" : obs.state === "connected" && !obs.manual ? "good" : obs.state === "offline" ? "bad" : "warn";
  const obsError = obs && said(obs, "error");
  const obsWord = !obs || !obs.configured ? t("control.obs_none") : t(`control.obs_${obs.state}`);
  badge("badge-obs", `OBS ${obs && obs.program ? `· ${obs.program}` : ""}`.trim(), obsLevel,
    `OBS: ${obsWord}${obsError ? ` — ${obsError}` : ""}`);
  $("obs-take").hidden = !(obs && obs.studio_mode);
  const list = (all, present) => all.map((x) => `<span class="${present.includes(x.id) ? "good-text" : "bad-text"}">
    ${present.includes(x.id) ? "●" : "○"} ${esc(x.name)}</span>`).join("<br>");
  $("clients").innerHTML = `
    <dt>${esc(t("control.team_pads"))}</dt><dd>${list(view.teams, p.teams)}</dd>
    <dt>${esc(t("control.judge_pads"))}</dt><dd>${list(view.judges, p.judges) || "—"}</dd>
    <dt>${esc(t("control.overlay_count"))}</dt><dd class="${overlays ? "" : "bad-text"}">${overlays || esc(t("control.no_overlay"))}</dd>
    <dt>${esc(t("control.audience_count"))}</dt><dd>${p.audience}</dd>
    <dt>${esc(t("control.obs"))}</dt><dd id="obs">${obsStatus(p.obs)}</dd>`;
  if (devices && presence) devices.render(presence);
  // A pad that drops during the live show must stand out.
  const dropped = live && presence ? [...missingTeams, ...missingJudges].map((x) => x.name) : [];
  $("dropped").hidden = dropped.length === 0;
  $("dropped").textContent = dropped.length ? t("control.dropped", { names: dropped.join(", ") }) : "";
}

function toggleDrawer(id, open = undefined) {
  const drawer = $(id);
  const show = open === undefined ? drawer.hidden : open;
  for (const other of document.querySelectorAll(".drawer")) if (other !== drawer) other.hidden = true;
  drawer.hidden = !show;
  for (const el of document.querySelectorAll(`[aria-controls="${id}"]`)) el.setAttribute("aria-expanded", String(show));
  if (show) drawer.querySelector("[data-close]").focus();
}

// -- the season (season.js) --------------------------------------------------------------------

const season = seasonPanel({ $, cmd, view: () => view });

function tickTimer() {
  if (view) {
    const ms = client.remaining(view.timer);
    const el = $("timer");
    el.textContent = view.timer.duration_ms ? String(seconds(ms)) : "--";
    el.classList.toggle("running", view.timer.running);
    el.classList.toggle("low", view.timer.running && ms <= 5000);
  }
  requestAnimationFrame(tickTimer);
}
requestAnimationFrame(tickTimer);

// -- actions ------------------------------------------------------------------------------

async function gotoSegment(index) {
  const seg = view.rundown[index];
  if (index === (view.segment && view.segment.index)) return;
  if (await ask(t("control.confirm_jump", { title: seg.title }))) cmd("goto_segment", { index });
}

/** What the timer key does now: pause a running timer, resume a paused one, else start it afresh. */
function timerToggle() {
  const timer = view.timer;
  if (can("pause_timer")) return "pause_timer";
  // A timer reset to its full time starts again rather than "resumes".
  if (can("resume_timer") && timer.remaining_ms < timer.duration_ms) return "resume_timer";
  return "start_timer";
}

function toggleTimer() {
  return cmd(timerToggle());
}

/** Mark the team with the floor (or on turn) right or wrong: the Y / X keys. */
function judgeFloor(correct) {
  const q = view && view.question;
  const team = q && (q.floor || q.turn);
  if (!team) return toast(t("control.no_question"));
  return cmd("judge_answer", { team, correct });
}

async function adjust(team) {
  const values = await ask(t("control.adjust_title", { team: teamName(team) }), [
    { name: "points", label: t("control.adjust_points"), type: "number", step: "0.01" },
    { name: "reason", label: t("control.adjust_reason") },
  ]);
  if (values) cmd("adjust_score", { team, points: Number(values.points), reason: values.reason });
}

document.addEventListener("click", async (e) => {
  const el = e.target.closest("button, input[data-overlay]");
  if (!el) return;
  const d = el.dataset;
  if (d.devices !== undefined) return toggleDrawer("devices");
  if (d.close) return toggleDrawer(d.close, false);
  if (el.id === "help-toggle") return toggleDrawer("help");
  if (el.id === "more-overlays") { showAllOverlays = !showAllOverlays; if (view) renderOverlays(); return; }
  if (!view) return;
  if (d.obsTake !== undefined) return cmd("obs_take");
  if (d.press) return $(d.press) && !$(d.press).disabled ? $(d.press).click() : undefined;
  if (d.goto !== undefined) return gotoSegment(Number(d.goto));
  if (d.look) return cmd("take_look", { look: d.look });
  if (d.judge) return cmd("judge_answer", { team: d.judge, correct: d.correct === "1" });
  if (d.quick) return cmd("adjust_score", { team: d.quick, points: Number(d.points), reason: t("control.quick_reason") });
  if (d.adjust) return adjust(d.adjust);
  if (d.lock) return cmd(d.locked === "1" ? "unlock_scores" : "lock_scores", { team: d.lock });
  if (d.revealTeam) return cmd("reveal_scores", { team: d.revealTeam });
  if (d.star) return cmd("place_star", { team: d.star });
  if (d.choose) {
    const values = [...document.querySelectorAll(`select[data-pick="${d.choose}"]`)].map((s) => Number(s.value));
    return cmd("choose_package", { team: d.choose, values });
  }
  if (d.overlay) return cmd("set_overlay", { overlay: d.overlay, visible: el.checked });
  const actions = {
    "start-show": () => cmd("start_show"),
    "end-show": async () => { if (await ask(t("control.confirm_end"))) cmd("end_show"); },
    prev: () => cmd("goto_segment", { step: -1 }),
    next: () => cmd("goto_segment", { step: 1 }),
    "show-next": () => cmd("show_question"),
    open: () => cmd("open_answers"),
    close: () => cmd("close_answers"),
    reveal: () => cmd("reveal_answer"),
    reset: async () => { if (await ask(t("control.confirm_reset"))) cmd("reset_question"); },
    "timer-toggle": toggleTimer,
    "timer-add": () => cmd("add_time", { ms: 5000 }),
    "timer-reset": () => cmd("reset_timer"),
    undo: () => cmd("undo"),
    "result-undo": () => cmd("undo"),
    redo: () => cmd("redo"),
    "lock-all": () => cmd("lock_scores"),
    "reveal-all": () => cmd("reveal_scores"),
    "vote-open": () => cmd("open_voting"),
    "vote-close": () => cmd("close_voting"),
    tiebreak: () => cmd("start_tiebreak", { teams: tiedTeams() }),
  };
  if (actions[el.id]) actions[el.id]();
});

// Keyboard: everything done often, one key; nothing irreversible on a single key.
// Typing in a field is typing; a clicked on-air toggle keeps the shortcuts working.
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && !dialogOpen()) {
    const open = [...document.querySelectorAll(".drawer")].find((x) => !x.hidden);
    if (open) { e.preventDefault(); toggleDrawer(open.id, false); }
    return;
  }
  if (!view || dialogOpen() || e.target.closest("input:not([type=checkbox]), select, textarea")) return;
  const key = e.key;
  const ctrl = e.ctrlKey || e.metaKey;
  if (ctrl && key.toLowerCase() === "z") { e.preventDefault(); cmd(e.shiftKey ? "redo" : "undo"); return; }
  if (ctrl && key.toLowerCase() === "y") { e.preventDefault(); cmd("redo"); return; }
  if (ctrl || e.altKey) return;
  // A number is always the same overlay (the order of the switches), whatever the segment shows.
  const overlays = [...document.querySelectorAll("[data-overlay]")];
  const digit = "1234567890".indexOf(key);
  if (digit >= 0 && overlays[digit]) {
    const box = overlays[digit];
    // A switch the view says can show nothing (standings without a season) is disabled: its key too.
    if (box.disabled && !box.checked) { toast(box.title || t("control.nothing")); return; }
    cmd("set_overlay", { overlay: box.dataset.overlay, visible: !box.checked });
    return;
  }
  const keys = {
    n: () => cmd("show_question"),
    o: () => cmd("open_answers"),
    c: () => cmd("close_answers"),
    r: () => cmd("reveal_answer"),
    y: () => judgeFloor(true),
    x: () => judgeFloor(false),
    t: toggleTimer,
    "+": () => cmd("add_time", { ms: 5000 }),
    u: () => cmd("undo"),
    PageDown: () => cmd("goto_segment", { step: 1 }),
    PageUp: () => cmd("goto_segment", { step: -1 }),
    "?": () => toggleDrawer("help"),
  };
  const action = keys[key.length === 1 ? key.toLowerCase() : key] || keys[key];
  if (action) { e.preventDefault(); action(); }
});
