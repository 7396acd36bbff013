// A team's podium pad: the buzzer, the answer box, the package choice and the star of hope.
// It shows the public view (docs/protocol.md) from its own team's side; the server decides everything:
// a control is live when the view's `can` lists this team for its command, its sections follow what the
// segment offers (`segment.capabilities`), never a round's name or a phase table of its own.
import { ShowClient, deviceId, seconds } from "/static/js/show-client.js";
import { allowed } from "/static/js/can.js";
import { plain, points } from "/static/js/format.js";
import { fitName, refitAll } from "/overlays/dom.js";
import { errorText, report, showStatus, t } from "/controller/ui.js";

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token") || "";
const me = $("team-name").dataset.team || ""; // this pad's team id, rendered by the server from the token
const lang = document.documentElement.lang || "vi";
// A question's or a package's value (10, 20, 30) as configured; the score with the show's decimals.
const fmt = { format: (v) => plain(v, lang) };

let view = null;
let gate = null; // null, or why the pad can't be used: {code: "in_use" | "unauthorized" | "taken_over", message}
let buzzing = false; // a buzz is on its way
let buzzWon = 0; // the revision a successful buzz produced, until the view has caught up with it
let flash = null; // {text, kind, key}: the answer to the last press, while the view alone does not tell it yet
let flashTimer = null;
let answering = false; // an answer is on its way
let packagePick = [];
let packageKey = "";

// `me`: a cookie since swapped for another team's link is refused, never taken as that team.
const client = new ShowClient("/team", { token, me, pad: deviceId("pad") }, {
  onView: (v) => { view = v; render(); },
  onStatus: (status, detail) => {
    document.body.dataset.status = status;
    showStatus($("status"), status);
    if (status === "live") {
      // Take over only when the user asked for it, never again by itself (protocol: one device per team).
      delete client.auth.takeover;
      if (gate && gate.code !== "unauthorized") gate = null;
    } else if (status === "refused") {
      gate = { code: detail && detail.code === "in_use" ? "in_use" : "unauthorized", message: detail && detail.message };
    }
    renderGate();
  },
  onEvent: (name, data) => {
    if (name === "taken_over") { gate = { code: "taken_over", message: data && data.message }; renderGate(); }
  },
});

// -- the view, from this team's side -----------------------------------------------------------------

const question = () => (view && view.question) || null;
// What the segment on air offers; a server that does not say yet gets every question control, rules still its own.
const LEGACY = { questions: true, buzz: true, pad_answers: true };
const caps = () => (!view || !view.segment ? {} : view.segment.capabilities
  || { ...LEGACY, packages: Boolean(view.segment.packages) });
/** Whether this pad may send `command` now: the view's `can` lists this team, and no countdown ran out for it. */
const may = (command) => allowed(view, command, { id: me, now: client.serverNow() });
const teamOf = (id) => (view && view.teams.find((x) => x.id === id)) || null;
const teamName = (id) => (teamOf(id) || { name: id }).name;
const storeKey = (qid) => `showcaller.answer.${view.show.id}.${me}.${qid}`;

function stored(qid) {
  try { return JSON.parse(localStorage.getItem(storeKey(qid)) || "null"); } catch { return null; }
}

/** This team's answer to the question on screen: {text, correct} once sent, else null. */
function myAnswer(q) {
  const own = (q.answers || {})[me];
  const kept = stored(q.id);
  if (!own) {
    // Not in the view: never sent, or the question was reset. Forget a kept answer the view has caught up with.
    if (kept && client.rev >= kept.rev) localStorage.removeItem(storeKey(q.id));
    return kept && client.rev < kept.rev ? { text: kept.text, correct: null } : null;
  }
  // An answer with a grade but no text was given orally (the producer judged it); else the team sent one.
  const sent = kept || own.answered || own.text || own.correct === null || own.correct === undefined;
  if (!sent) return null;
  return { text: own.text || (kept && kept.text) || "", correct: own.correct ?? null };
}

/** What the buzzer says now: {kind, text}. kind: open, won, lost, locked, closed, out. */
function buzzState(q) {
  // A buzz holds the floor while it is heard: answering, or in a keyword round at any time (between rows too).
  const heard = q.floor && (q.phase === "answering" || caps().keyword);
  if (buzzWon > client.rev || (heard && q.floor === me)) return { kind: "won", text: t("team.buzz_won") };
  if (heard) return { kind: "lost", text: t("team.buzz_lost", { team: teamName(q.floor) }) };
  if (!(q.eligible || []).includes(me)) return { kind: "out", text: t("team.buzz_not_playing") };
  if ((q.locked || []).includes(me)) return { kind: "locked", text: t("team.buzz_locked") };
  if (may("buzz")) return { kind: "open", text: t(q.phase === "steal" ? "team.buzz_steal" : "team.buzz_open") };
  return { kind: "closed", text: t("team.buzz_closed") };
}

/** Show the answer to a press for a moment, while the view of this question and phase still says "open". */
function showFlash(text, kind) {
  const q = question();
  flash = { text, kind, key: q ? `${q.id}:${q.phase}` : "" };
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => { flash = null; render(); }, 2500);
  render();
}

// -- actions ----------------------------------------------------------------------------------------

async function buzz() {
  const q = question();
  if (!q || $("buzz-area").hidden || buzzing || gate) return;
  const button = $("buzz");
  button.classList.remove("pressed");
  void button.offsetWidth; // restart the press animation
  button.classList.add("pressed");
  if (client.status !== "live") { showFlash(t("team.not_sent_offline"), "closed"); return; }
  const before = buzzState(q);
  if (before.kind !== "open") { flash = null; render(); return; } // the view already says why not, at once
  buzzing = true;
  $("buzz-state").textContent = t("team.buzz_sending");
  const ack = await client.send("buzz", {});
  buzzing = false;
  if (ack.ok) { buzzWon = ack.rev; flash = null; render(); return; }
  const now = question() ? buzzState(question()) : { kind: "closed", text: t("team.buzz_closed") };
  if (now.kind !== "open") { flash = null; render(); } // the view has caught up and says why
  // Refused while our view still said "open": the news is on its way. "phase": another team got the floor first.
  else if (ack.error.code === "phase") showFlash(t("team.buzz_lost_someone"), "lost");
  else if (ack.error.code === "offline" || ack.error.code === "timeout") showFlash(t("team.not_sent_offline"), "closed");
  else showFlash(`${t("team.buzz_refused")} (${errorText(ack.error)})`, "closed");
}

async function sendAnswer(text) {
  const q = question();
  text = text.trim();
  if (!q || !text || answering) return;
  answering = true;
  render();
  const ack = report(await client.send("submit_answer", { answer: text }));
  answering = false;
  if (ack.ok) {
    localStorage.setItem(storeKey(q.id), JSON.stringify({ text: q.options ? text.toUpperCase() : text, rev: ack.rev }));
    $("free-text").value = "";
  }
  render();
}

async function placeStar() {
  $("star").disabled = true;
  report(await client.send("place_star", {}), t("team.star_done"));
  render();
}

async function choosePackage() {
  const seg = view.segment;
  if (!seg.packages || packagePick.length !== seg.packages.size || packagePick.includes(undefined)) return;
  $("package-send").disabled = true;
  const ack = report(await client.send("choose_package", { values: packagePick }));
  if (ack.ok) localStorage.setItem(`showcaller.package.${view.show.id}.${me}.${seg.id}`, JSON.stringify(packagePick));
  render();
}

async function takeOver() {
  $("takeover").disabled = true;
  gate = null;
  renderGate();
  client.reconnect({ takeover: true });
}

$("buzz").addEventListener("pointerdown", (e) => {
  if (e.button !== 0) return; // a finger, a pen or the main mouse button
  e.preventDefault();
  buzz();
});
$("buzz").addEventListener("click", (e) => { if (e.detail === 0) buzz(); }); // keyboard activation (Enter)
document.addEventListener("keydown", (e) => {
  if (e.code !== "Space" && e.key !== " ") return;
  const target = e.target;
  if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) return;
  e.preventDefault(); // no page scroll, no click on a focused button
  if (!e.repeat) buzz();
});
document.addEventListener("keyup", (e) => { if (e.code === "Space" && !(e.target instanceof HTMLInputElement)) e.preventDefault(); });
$("free").addEventListener("submit", (e) => { e.preventDefault(); sendAnswer($("free-text").value); });
$("choices").addEventListener("click", (e) => {
  const button = e.target.closest("button[data-letter]");
  if (button && !button.disabled) sendAnswer(button.dataset.letter);
});
$("star").addEventListener("click", placeStar);
$("takeover").addEventListener("click", takeOver);
$("package-send").addEventListener("click", choosePackage);
$("package-slots").addEventListener("click", (e) => {
  const button = e.target.closest("button[data-slot]");
  if (!button) return;
  packagePick[Number(button.dataset.slot)] = Number(button.dataset.value);
  render();
});

// -- rendering --------------------------------------------------------------------------------------

function renderGate() {
  const gated = gate !== null;
  document.querySelector(".pad-head").classList.toggle("no-view", !view);
  if (!view) $("segment").textContent = client.status === "refused" ? "" : t("common.connecting");
  if (gate && gate.code === "taken_over") {
    $("status").className = "status refused";
    $("status").textContent = t("team.status_taken_over");
  }
  $("gate").hidden = !gated;
  $("pad").hidden = gated;
  $("offline").hidden = gated || client.status !== "offline";
  document.body.classList.toggle("is-offline", client.status !== "live");
  if (!gated) return;
  const texts = { in_use: "team.in_use", taken_over: "team.taken_over", unauthorized: "team.unauthorized" };
  $("gate-text").textContent = t(texts[gate.code]);
  $("takeover").hidden = gate.code === "unauthorized";
  $("takeover").disabled = false;
  $("takeover").textContent = t(gate.code === "taken_over" ? "team.take_back" : "team.takeover");
}

function render() {
  renderGate();
  if (!view) return;
  renderHead();
  const q = question();
  const seated = Boolean(q) && (caps().buzz || caps().pad_answers); // a question the teams play on their pads
  renderWaiting(seated);
  renderQuestion(seated ? q : null);
  renderAnswer(seated ? q : null);
  renderBuzz(seated ? q : null);
  renderPackages();
  tick();
}

function renderHead() {
  const team = teamOf(me);
  fitName($("team-name"), team ? team.name : t("team.title"), team && team.short_name);
  document.title = `${team ? team.name : t("team.title")} · ${view.show.title}`;
  $("score").textContent = team ? points(team.score, view.show.decimals, lang) : "–";
  const standing = view.standings.find((s) => s.team === me);
  $("rank").textContent = standing && view.phase !== "setup"
    ? t("team.rank", { rank: standing.rank, total: view.teams.length }) : "";
  const seg = view.segment;
  $("segment").textContent = seg ? seg.title
    : t(view.phase === "ended" ? "common.ended" : view.phase === "setup" ? "common.setup" : "common.no_segment");
}

function renderWaiting(seated) {
  $("waiting").hidden = seated || packagesShown();
  let title = view.segment ? view.segment.title : t("common.no_segment");
  let text = t("team.wait_question");
  if (view.phase === "setup") { title = t("team.wait_start"); text = view.show.title; }
  else if (view.phase === "ended") {
    title = t("team.show_ended");
    const standing = view.standings.find((s) => s.team === me);
    text = standing ? t("team.final_rank", { rank: standing.rank, total: view.teams.length }) : "";
  } else if (caps().judged) text = t("team.wait_judges");
  else if (caps().votes) text = t("team.wait_audience");
  $("waiting-title").textContent = title;
  $("waiting-text").textContent = text;
}

const PHASES = ["ready", "open", "answering", "steal", "closed", "revealed"];

function renderQuestion(q) {
  $("question").hidden = !q;
  if (!q) return;
  const turn = q.turn;
  $("q-turn").hidden = !turn;
  if (turn) {
    $("q-turn").textContent = q.turn === me ? t("team.your_turn") : t("team.turn_of", { team: teamName(q.turn) });
    $("q-turn").classList.toggle("chip-mine", q.turn === me);
  }
  $("q-value").hidden = !q.value;
  $("q-value").textContent = t("team.value", { value: fmt.format(q.value) });
  $("q-star").hidden = !q.star;
  $("q-phase").textContent = PHASES.includes(q.phase) ? t(`team.phase.${q.phase}`) : q.phase;
  $("q-phase").dataset.phase = q.phase;
  $("q-text").textContent = q.text;
  const star = may("place_star");
  $("star").hidden = !star;
  if (star) $("star").disabled = client.status !== "live";
}

function renderAnswer(q) {
  // Where one team is on turn, its pad answers and the others wait (or buzz to steal).
  const mine = q && caps().pad_answers && (!caps().turns || q.turn === me);
  $("answer").hidden = !mine;
  $("pad").classList.toggle("has-answer", !!mine);
  if (!mine) return;
  const answer = myAnswer(q);
  const open = may("submit_answer");
  const canSend = open && !answer && !answering && client.status === "live";
  const options = q.options || null;
  // Multiple choice: one tap sends the letter. Free text: a box and a button.
  $("choices").hidden = !options || !!answer;
  $("free").hidden = !!options || !!answer;
  if (options) {
    const letters = Object.keys(options);
    const key = `${q.id}:${letters.join("")}`;
    if ($("choices").dataset.key !== key) {
      $("choices").dataset.key = key;
      $("choices").replaceChildren(...letters.map((letter) => {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "choice";
        b.dataset.letter = letter;
        const l = document.createElement("span");
        l.className = "choice-letter";
        l.textContent = letter;
        const text = document.createElement("span");
        text.className = "choice-text";
        text.textContent = options[letter];
        b.append(l, text);
        return b;
      }));
    }
    for (const b of $("choices").querySelectorAll("button")) b.disabled = !canSend;
  } else {
    $("free-text").disabled = !canSend;
    $("free-send").disabled = !canSend;
  }
  $("answered").hidden = !answer;
  if (answer) {
    const shown = answer.text && options && options[answer.text] ? `${answer.text}. ${options[answer.text]}` : answer.text;
    $("answered-text").textContent = shown ? t("team.your_answer", { answer: shown }) : "";
    $("answered").dataset.correct = answer.correct === true ? "yes" : answer.correct === false ? "no" : "";
  }
  let note = "";
  if (answer && answer.correct === true) note = t("team.correct");
  else if (answer && answer.correct === false) note = t("team.wrong");
  else if (answering) note = t("team.sending");
  else if (q.phase === "ready") note = t("team.answers_wait");
  else if (q.phase === "open" && !answer && !open) note = t("team.time_up");
  else if (!answer && ["closed", "revealed", "steal", "answering"].includes(q.phase)) note = t("team.answers_closed");
  if (q.phase === "revealed" && q.answer) {
    const right = options && options[q.answer] ? `${q.answer}. ${options[q.answer]}` : q.answer;
    note = `${note ? `${note} · ` : ""}${t("team.right_answer", { answer: right })}`;
  }
  $("answer-note").textContent = note;
  $("answer-note").dataset.correct = answer && answer.correct === true ? "yes" : answer && answer.correct === false ? "no" : "";
}

function renderBuzz(q) {
  const show = q && caps().buzz && (!caps().turns || q.turn !== me);
  $("buzz-area").hidden = !show;
  $("pad").classList.toggle("has-buzz", !!show);
  if (!show) return;
  const state = buzzState(q);
  // The view says it best; a press's own answer shows only while the view still says "open" (news on its way).
  const shown = flash && state.kind === "open" && flash.key === `${q.id}:${q.phase}` ? flash : state;
  $("buzz-area").dataset.state = shown.kind;
  $("buzz").disabled = client.status !== "live";
  // Armed only when the rules would take this team's buzz; a press otherwise still says why at once.
  $("buzz").dataset.armed = String(shown.kind === "open");
  if (!buzzing) $("buzz-state").textContent = shown.text;
}

/** The package choice shows while the rules take packages (from this team or another: then it says ours). */
function packagesShown() {
  const seg = view.segment;
  const choosing = view.can && Array.isArray(view.can.choose_package) && view.can.choose_package.length > 0;
  return !!seg && !!seg.packages && caps().packages !== false && (choosing || may("choose_package"));
}

function renderPackages() {
  const seg = view.segment;
  const show = packagesShown();
  $("packages").hidden = !show;
  if (!show) return;
  const chosen = (view.packages[seg.id] || {})[me];
  const { values, size } = seg.packages;
  const key = `${seg.id}:${values.join(",")}:${size}`;
  if (packageKey !== key) { packageKey = key; packagePick = new Array(size).fill(undefined); }
  $("package-slots").hidden = !!chosen;
  $("package-send").hidden = !!chosen;
  $("packages-hint").hidden = !!chosen;
  $("package-done").hidden = !chosen;
  if (chosen) {
    let picked = null;
    try { picked = JSON.parse(localStorage.getItem(`showcaller.package.${view.show.id}.${me}.${seg.id}`)); } catch { /* none */ }
    $("package-done").textContent = picked && picked.length === chosen.length
      ? t("team.package_done", { values: picked.map((v) => fmt.format(v)).join(" · ") })
      : t("team.package_done_count", { n: chosen.length });
    return;
  }
  $("packages-hint").textContent = t("team.package_hint", { size, values: values.map((v) => fmt.format(v)).join(" / ") });
  const rows = [];
  for (let i = 0; i < size; i++) {
    const row = document.createElement("div");
    row.className = "package-slot";
    const label = document.createElement("span");
    label.className = "slot-label";
    label.textContent = t("team.package_slot", { n: i + 1 });
    row.append(label);
    for (const v of values) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = `btn value${packagePick[i] === v ? " chosen" : ""}`;
      b.dataset.slot = i;
      b.dataset.value = v;
      b.setAttribute("aria-pressed", String(packagePick[i] === v));
      b.textContent = fmt.format(v);
      row.append(b);
    }
    rows.push(row);
  }
  $("package-slots").replaceChildren(...rows);
  $("package-send").disabled = packagePick.includes(undefined) || client.status !== "live";
  $("package-done").textContent = "";
}

// The countdown runs on the server's clock; only its text changes between views.
function tick() {
  if (!view) return;
  const q = question();
  const timer = view.timer;
  const live = q && ["ready", "open", "answering", "steal"].includes(q.phase); // a stopped clock after answers close says nothing
  const show = !!live && !$("question").hidden && timer && timer.duration_ms > 0;
  $("countdown").hidden = !show;
  if (!show) return;
  const left = client.remaining(timer);
  $("countdown-value").textContent = String(seconds(left));
  $("countdown").classList.toggle("urgent", timer.running && left <= 5000);
  $("countdown").classList.toggle("paused", !timer.running);
}

let lastOpen = null;
setInterval(() => {
  tick();
  // When time runs out the buttons must close even before the server's patch arrives.
  const q = question();
  if (!q) return;
  const open = !client.timeUp(view.timer);
  if (open !== lastOpen) { lastOpen = open; render(); }
}, 100);

window.addEventListener("storage", () => render());
// The name's box changes with the web font and the screen's width: fit it again then.
document.fonts.ready.then(refitAll);
window.addEventListener("resize", refitAll);
