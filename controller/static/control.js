// The producer's controller: renders the producer view and turns clicks and keys into commands.
import { ShowClient, esc, seconds } from "/static/js/show-client.js";
import { ask, dialogOpen, inVietnamese, report, said, showStatus, t, toast } from "/controller/ui.js";
import { seasonPanel } from "/controller/season.js";

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token") || "";
let view = null;
let presence = null;

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
const roundOf = () => (view.segment ? view.segment.round : null);

// -- rendering ---------------------------------------------------------------------------------

function render() {
  if (!view) return;
  renderHeader();
  renderRundown();
  renderQuestion();
  renderRound();
  renderScoreboard();
  renderAudit();
  renderOverlays();
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
  $("undo").disabled = !view.undo;
  $("redo").disabled = !view.redo;
  $("undo-label").textContent = undo ? `${t("control.undo")}: ${undo}` : "";
  $("undo").title = undo || t("control.nothing");
  $("redo").title = redo || t("control.nothing");
}

function renderRundown() {
  const current = view.segment ? view.segment.index : -1;
  $("progress").textContent = current >= 0 && current < view.rundown.length
    ? t("control.progress", { n: current + 1, total: view.rundown.length }) : "";
  $("rundown").innerHTML = view.rundown.map((s) => `
    <li class="${s.index === current ? "is-current" : s.index === current + 1 ? "is-next" : ""}">
      <button data-goto="${s.index}"><span>${s.index + 1}. ${esc(s.title)}</span>
      <span class="round">${esc(t(`control.round.${s.round}`))}${s.index === current + 1 ? ` · ${esc(t("control.next_up"))}` : ""}</span></button>
    </li>`).join("");
  const live = view.phase === "live";
  $("start-show").hidden = view.phase !== "setup";
  $("end-show").hidden = !live;
  $("prev").disabled = !live || current <= 0;
  $("next").disabled = !live || current >= view.rundown.length - 1;
  const tied = tiedTeams();
  // A tie matters once the points are all in: in the last segment, or after the end.
  const late = view.phase === "ended" || (view.phase === "live" && current >= view.rundown.length - 1);
  $("tiebreak").hidden = !(tied.length > 1 && late);
}

function tiedTeams() {
  return (view.ties && view.ties[0]) || [];
}

function renderQuestion() {
  const q = view.question;
  const phase = $("q-phase");
  if (!q) {
    $("question").innerHTML = `<p class="muted">${esc(t("control.no_question"))}</p>`;
    phase.textContent = "";
    phase.className = "phase";
  } else {
    phase.textContent = t(`control.phase.${q.phase}`);
    phase.className = `phase ${q.phase}`;
    const options = q.options ? `<ul class="options">${Object.entries(q.options).map(([k, v]) =>
      `<li class="${k === q.answer ? "correct" : ""}"><b>${k}.</b> ${esc(v)}</li>`).join("")}</ul>` : "";
    $("question").innerHTML = `
      <p class="text">${esc(q.text)}</p>${options}
      <p><span class="muted">${esc(t("control.answer"))}:</span> <span class="answer">${esc(q.answer ?? "—")}</span>
      ${q.value ? ` · <span class="muted">${esc(t("control.value"))}:</span> ${q.value}` : ""}
      ${q.star ? ` · ★ ${esc(t("control.star"))}` : ""}
      ${q.turn ? ` · <span class="muted">${esc(t("control.turn"))}:</span> ${esc(teamName(q.turn))}` : ""}</p>`;
  }
  const ph = q ? q.phase : "none";
  $("open").disabled = ph !== "ready";
  $("close").disabled = !["open", "answering", "steal"].includes(ph);
  $("reveal").disabled = ph !== "closed";
  $("reset").disabled = !q;
  $("show-next").disabled = view.phase !== "live" || ["open", "answering", "steal"].includes(ph) || !segmentOf();
  $("timer-toggle").textContent = view.timer.running ? t("control.timer_pause")
    : view.timer.remaining_ms > 0 && view.timer.remaining_ms < view.timer.duration_ms ? t("control.timer_resume")
    : t("control.timer_start");
}

function renderRound() {
  const round = roundOf();
  const box = $("round-panel");
  if (round === "judged") box.innerHTML = judgedPanel();
  else if (round === "audience") box.innerHTML = audiencePanel();
  else if (round) box.innerHTML = (round === "packages" ? packagesPanel() : "") + teamsPanel();
  else box.innerHTML = "";
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
      const time = a.elapsed_ms != null ? ` <span class="muted">(${(a.elapsed_ms / 1000).toFixed(2)} s)</span>` : "";
      answer = `<span class="ans ${mark}">${esc(a.text || t("control.answered"))}${time}</span>`;
    } else if (locked) answer = `<span class="muted">${esc(t("control.locked_out"))}</span>`;
    const canJudge = q && (floor || (roundOf() === "speed" && a)) && !(a && a.correct !== null && roundOf() !== "speed");
    return `<div class="teamrow ${floor ? "floor" : ""} ${locked ? "locked" : ""}" data-team="${team.id}">
      <span class="name">${floor ? '<span class="floor-mark">▶</span> ' : ""}${esc(team.name)}</span>${answer}
      <span class="row" style="margin:0">
        <button class="btn btn-good" data-judge="${team.id}" data-correct="1" ${canJudge ? "" : "disabled"}>✓ ${esc(t("control.correct"))}</button>
        <button class="btn btn-bad" data-judge="${team.id}" data-correct="0" ${canJudge ? "" : "disabled"}>✗ ${esc(t("control.wrong"))}</button>
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
  const q = view.question;
  const values = (view.segment && view.segment.packages && view.segment.packages.values) || [10, 20, 30];
  const size = (view.segment && view.segment.packages && view.segment.packages.size) || 3;
  const rows = view.teams.map((team) => {
    const pack = chosen[team.id];
    const star = q && q.turn === team.id && q.phase === "ready" && !team.star_used
      ? `<button class="btn" data-star="${team.id}">★ ${esc(t("control.place_star"))}</button>` : (team.star_used ? "★" : "");
    const picker = pack ? pack.join(", ") : Array.from({ length: size }, (_, i) =>
      `<select data-pick="${team.id}" data-slot="${i}">${values.map((v) => `<option>${v}</option>`).join("")}</select>`).join(" ")
      + ` <button class="btn" data-choose="${team.id}">${esc(t("control.choose_package"))}</button>`;
    return `<div class="teamrow"><span class="name">${esc(team.name)}</span><span>${esc(t("control.package"))}: ${picker}</span><span>${star}</span></div>`;
  }).join("");
  return `<div class="teamrows">${rows}</div>`;
}

function judgedPanel() {
  const seg = segmentOf();
  const j = view.judged[seg.id];
  if (!j) return "";
  const head = `<tr><th>${esc(t("control.teams"))}</th>${view.judges.map((x) => `<th>${esc(x.name)}</th>`).join("")}
    <th>${esc(t("control.mean"))}</th><th></th></tr>`;
  const rows = view.teams.map((team) => {
    const totals = [];
    const cells = view.judges.map((judge) => {
      const s = j.scores[judge.id] && j.scores[judge.id][team.id];
      if (!s) return `<td class="muted">${esc(t("control.waiting"))}</td>`;
      const total = Object.values(s).reduce((a, b) => a + b, 0);
      totals.push(total);
      return `<td>${total}</td>`;
    }).join("");
    const mean = totals.length ? (totals.reduce((a, b) => a + b, 0) / totals.length).toFixed(2) : "—";
    const locked = j.locked.includes(team.id);
    const revealed = j.revealed.includes(team.id);
    const actions = revealed ? `<span class="good-text">${esc(t("control.revealed"))}</span>` : `
      <button class="btn" data-lock="${team.id}" data-locked="${locked ? 1 : 0}">${esc(t(locked ? "control.unlock" : "control.lock"))}</button>
      <button class="btn btn-primary" data-reveal-team="${team.id}">${esc(t("control.reveal_scores"))}</button>`;
    return `<tr><td>${esc(team.name)}</td>${cells}<td><b>${mean}</b></td><td class="row" style="margin:0">${actions}</td></tr>`;
  }).join("");
  let vote = "";
  if (j.audience_share) {
    vote = `<h2 style="margin-top:16px">${esc(t("control.vote"))} (${Math.round(j.audience_share * 100)}%)</h2>
      <div class="row"><button class="btn" id="vote-open" ${j.voting === "open" ? "disabled" : ""}>${esc(t("control.vote_open"))}</button>
      <button class="btn" id="vote-close" ${j.voting !== "open" ? "disabled" : ""}>${esc(t("control.vote_close"))}</button>
      <span class="muted">${j.tally.total} ${esc(t("control.votes"))}</span></div>
      ${bars(view.teams.map((x) => [x.name, j.tally.counts[x.id] || 0]), j.tally.total)}`;
  }
  return `<table class="judged">${head}${rows}</table>
    <div class="row"><button class="btn" id="lock-all">${esc(t("control.lock_all"))}</button>
    <button class="btn btn-primary" id="reveal-all">${esc(t("control.reveal_all"))}</button></div>${vote}`;
}

function bars(entries, total) {
  return `<div class="bars">${entries.map(([label, n]) => {
    const pct = total ? Math.round((n / total) * 100) : 0;
    return `<div class="bar"><span>${esc(label)}</span><span class="fill" style="width:${pct}%"></span><span>${n} · ${pct}%</span></div>`;
  }).join("")}</div>`;
}

function audiencePanel() {
  const q = view.question;
  if (!q || !q.tally) return "";
  const entries = Object.keys(q.options || {}).map((k) => [`${k}. ${q.options[k]}`, q.tally.counts[k] || 0]);
  const winners = q.winners.length ? `<h2 style="margin-top:12px">${esc(t("control.winners"))}</h2>
    <ol>${q.winners.map((w) => `<li>${esc(w.nickname || "—")}</li>`).join("")}</ol>` : "";
  return `<p class="muted">${q.tally.total} ${esc(t("control.votes"))}</p>${bars(entries, q.tally.total)}${winners}`;
}

function renderScoreboard() {
  const rank = Object.fromEntries(view.standings.map((s) => [s.team, s.rank]));
  const teams = [...view.teams].sort((a, b) => rank[a.id] - rank[b.id]);
  $("scoreboard").innerHTML = teams.map((team) => `
    <li data-team="${team.id}"><span class="muted">${rank[team.id]}</span><span>${esc(team.name)}</span>
      <span class="pts">${team.score}</span>
      <span class="adj">
        <button class="btn" data-quick="${team.id}" data-points="-5">−5</button>
        <button class="btn" data-quick="${team.id}" data-points="5">+5</button>
        <button class="btn" data-adjust="${team.id}">${esc(t("control.adjust"))}</button>
      </span></li>`).join("");
}

function renderAudit() {
  const entries = Object.entries(view.audit || {}).sort((a, b) => Number(b[0]) - Number(a[0]));
  $("audit").innerHTML = entries.map(([seq, e]) => {
    const time = new Date(e.at).toLocaleTimeString("vi-VN", { hour12: false });
    return `<li class="${e.undone ? "undone" : ""}"><span class="muted">#${seq} ${time} ${esc(e.by)}</span>
      <span class="what">${esc(said(e, "what"))}</span>${e.undone ? ` <span class="muted">(${esc(t("control.undone"))})</span>` : ""}</li>`;
  }).join("");
}

function renderOverlays() {
  for (const box of document.querySelectorAll("[data-overlay]")) box.checked = view.on_air.includes(box.dataset.overlay);
}

// The lower third: who can be introduced (built once per cast, so a choice survives updates) and
// what the strap says now.
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

/** OBS as the server's link sees it: connection, program (and preview) scene, the last error. */
function obsStatus(obs) {
  if (!obs || !obs.configured) return `<span class="muted">${esc(t("control.obs_none"))}</span>`;
  const state = { connected: "good-text", offline: "bad-text" }[obs.state] || "muted";
  const row = (label, value) => (value ? `<br><span class="muted">${esc(label)}:</span> ${esc(value)}` : "");
  const error = inVietnamese() ? obs.error_vi : obs.error;
  const at = obs.error_at ? new Date(obs.error_at).toLocaleTimeString(document.documentElement.lang) : "";
  return `<span class="${state}" data-obs-state="${esc(obs.state)}">● ${esc(t(`control.obs_${obs.state}`))}</span>
    <span class="muted">${esc(obs.address)}</span>
    ${row(t("control.obs_program"), obs.program)}
    ${obs.studio_mode ? row(t("control.obs_preview"), obs.preview) : ""}
    ${obs.manual ? `<br><span class="bad-text" data-obs-elsewhere>${esc(t("control.obs_elsewhere", { scene: obs.target }))}</span>` : ""}
    ${obs.studio_mode ? `<br><button type="button" class="btn btn-primary" data-obs-take>${esc(t("control.obs_take"))}</button>` : ""}
    ${error ? `<br><span class="bad-text" data-obs-error>${esc(t("control.obs_error"))} (${esc(at)}): ${esc(error)}</span>` : ""}`;
}

$("clients").addEventListener("click", (e) => {
  if (e.target.closest("[data-obs-take]")) cmd("obs_take");
});

function renderClients() {
  if (!view) return;
  const p = presence || { teams: [], judges: [], overlays: 0, audience: 0 };
  const missingTeams = view.teams.filter((x) => !p.teams.includes(x.id));
  const missingJudges = view.judges.filter((x) => !p.judges.includes(x.id));
  const list = (all, present) => all.map((x) => `<span class="${present.includes(x.id) ? "good-text" : "bad-text"}">
    ${present.includes(x.id) ? "●" : "○"} ${esc(x.name)}</span>`).join("<br>");
  $("clients").innerHTML = `
    <dt>${esc(t("control.team_pads"))}</dt><dd>${list(view.teams, p.teams)}</dd>
    <dt>${esc(t("control.judge_pads"))}</dt><dd>${list(view.judges, p.judges) || "—"}</dd>
    <dt>${esc(t("control.overlay_count"))}</dt><dd class="${p.overlays ? "" : "bad-text"}">${p.overlays || esc(t("control.no_overlay"))}</dd>
    <dt>${esc(t("control.audience_count"))}</dt><dd>${p.audience}</dd>
    <dt>${esc(t("control.obs"))}</dt><dd id="obs">${obsStatus(p.obs)}</dd>`;
  // A pad that drops during the live show must stand out.
  const dropped = view.phase === "live" && presence ? [...missingTeams, ...missingJudges].map((x) => x.name) : [];
  $("dropped").hidden = dropped.length === 0;
  $("dropped").textContent = dropped.length ? t("control.dropped", { names: dropped.join(", ") }) : "";
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

function toggleTimer() {
  const timer = view.timer;
  if (timer.running) return cmd("pause_timer");
  if (timer.remaining_ms > 0 && timer.remaining_ms < timer.duration_ms) return cmd("resume_timer");
  return cmd("start_timer");
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
  if (!el || !view) return;
  const d = el.dataset;
  if (d.goto !== undefined) return gotoSegment(Number(d.goto));
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
  if (!view || dialogOpen() || e.target.closest("input:not([type=checkbox]), select, textarea")) return;
  const key = e.key;
  const ctrl = e.ctrlKey || e.metaKey;
  if (ctrl && key.toLowerCase() === "z") { e.preventDefault(); cmd(e.shiftKey ? "redo" : "undo"); return; }
  if (ctrl && key.toLowerCase() === "y") { e.preventDefault(); cmd("redo"); return; }
  if (ctrl || e.altKey) return;
  const overlays = [...document.querySelectorAll("[data-overlay]")];
  const digit = "1234567890".indexOf(key);
  if (digit >= 0 && overlays[digit]) {
    const box = overlays[digit];
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
    "?": () => $("help").classList.toggle("hidden"),
  };
  const action = keys[key.length === 1 ? key.toLowerCase() : key] || keys[key];
  if (action) { e.preventDefault(); action(); }
});
