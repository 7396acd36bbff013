// The hall screen: the public view (/overlay namespace) drawn full screen for a projector or an LED
// wall. It picks what to show from the view's state alone (not the producer's on-air toggles): the
// title and the QR code before and between questions, the question with its timer, the tally once
// answers close, the answer and the winners once revealed, the scores between rounds, the results
// at the end. Times come from ShowClient.remaining (the server's clock), words from the catalogue.
import { ShowClient } from "/static/js/show-client.js";
import { points } from "/static/js/format.js";
import { el, fitName, keyed, queueFit, refitAll, text } from "/overlays/dom.js";

const boot = JSON.parse(document.getElementById("boot").textContent);
const lang = document.documentElement.lang;
const $ = (id) => document.getElementById(id);
const t = (key, params = {}) =>
  Object.entries(params).reduce((s, [name, value]) => s.replace(`{${name}}`, value), boot.strings[key] ?? key);

const SHORT_SIDE = 1080;
const URGENT_MS = 5000;
const RING = 2 * Math.PI * 90;
// Winners listed by name, by the screen's shape (the side column's height); the rest as "+ N".
const MAX_WINNERS = { standard: 5, wide: 9, tall: 5 };

// -- the stage: its shape from the query, scaled to the window ------------------------------------
const stage = $("stage");
const ratio = boot.shape.ratio;
const stageW = ratio >= 1 ? Math.round(SHORT_SIDE * ratio) : SHORT_SIDE;
const stageH = ratio >= 1 ? SHORT_SIDE : Math.round(SHORT_SIDE / ratio);
document.body.dataset.shape = ratio >= 2.2 ? "wide" : ratio < 1.2 ? "tall" : "standard";
stage.style.width = `${stageW}px`;
stage.style.height = `${stageH}px`;

function fitStage() {
  const scale = Math.min(window.innerWidth / stageW, window.innerHeight / stageH);
  const x = (window.innerWidth - stageW * scale) / 2;
  const y = (window.innerHeight - stageH * scale) / 2;
  stage.style.transform = `translate(${x}px, ${y}px) scale(${scale})`;
}
fitStage();
window.addEventListener("resize", fitStage);

// -- what never changes ---------------------------------------------------------------------------
$("join-qr").src = boot.join.qr;
text($("join-label"), t("screen.join"));
text($("join-or"), t("screen.join_or"));
text($("join-url"), boot.join.short);
text($("answer-label"), t("screen.answer"));
text($("count-label"), t("screen.answers"));
text($("winners-title"), t("screen.winners"));
text($("board-title"), t("screen.scores"));
text($("results-title"), t("screen.results"));
text($("status"), t("screen.offline"));
if (boot.logo) { $("card-logo").src = boot.logo; $("card-logo").hidden = false; }

/** Which picture the hall sees now, from the view alone. */
function modeOf(view) {
  if (view.phase === "ended") return "ended";
  if (view.phase !== "live") return "idle";
  const q = view.question;
  if (q) return q.phase === "revealed" ? "revealed" : q.phase === "closed" ? "closed" : "question";
  return (view.teams || []).length ? "board" : "idle";
}

let client = null;
let timer = null;
let frame = 0;
let shownSeconds = null;
let lastMode = null;

function show(view) {
  const mode = modeOf(view);
  document.body.dataset.mode = mode;
  document.body.dataset.phase = view.question ? view.question.phase : "none";
  const segment = view.segment ? view.segment.title : "";
  text($("head-title"), view.show.title);
  text($("head-segment"), mode === "ended" ? t("common.ended") : segment);
  $("head-segment").hidden = !segment && mode !== "ended";
  drawCard(view, segment);
  drawQuestion(view, mode);
  drawSide(view, mode);
  drawBoard(view);
  drawResults(view);
  document.body.dataset.rev = String(client ? client.rev : 0);
  // Boxes change size with the mode; text changes re-fit themselves (dom.js text()).
  if (mode !== lastMode) { lastMode = mode; refitAll(); }
}

function drawCard(view, segment) {
  text($("card-organizer"), view.show.organizer || "");
  $("card-organizer").hidden = !view.show.organizer;
  text($("card-title"), view.show.title);
  text($("card-segment"), view.phase === "live" ? segment : t("screen.soon"));
  $("card-segment").hidden = view.phase === "live" && !segment;
}

function drawQuestion(view, mode) {
  const q = view.question;
  if (!q) return;
  text($("question-text"), q.text);
  const options = Object.entries(q.options || {});
  const tally = (mode === "closed" || mode === "revealed") && q.tally ? q.tally : null;
  const revealed = mode === "revealed" && q.answer !== null && q.answer !== undefined;
  const choices = $("choices");
  choices.dataset.n = String(options.length);
  choices.dataset.tally = tally ? "1" : "0";
  choices.hidden = !options.length;
  keyed(choices, options, ([letter]) => letter, makeChoice, (node, [letter, label]) => {
    text(node.letter, letter);
    text(node.label, label);
    const count = tally ? tally.counts[letter] || 0 : 0;
    const share = tally && tally.total ? count / tally.total : 0;
    node.fill.style.transform = `scaleX(${share})`;
    text(node.count, count);
    text(node.pct, `${Math.round(share * 100)} %`);
    node.classList.toggle("correct", revealed && letter === q.answer);
    node.classList.toggle("dim", revealed && letter !== q.answer);
  });
  // A free-text question (a team show's) shows its answer in a box once revealed.
  text($("answer-text"), revealed && !options.length ? q.answer : "");
  $("answer-box").hidden = !(revealed && !options.length);
}

function makeChoice() {
  const node = el("div", "choice");
  node.fill = el("span", "choice-fill");
  node.letter = el("span", "choice-letter");
  node.label = el("span", "choice-text fit");
  node.label.dataset.min = "0.7";
  node.label.dataset.wrap = "auto";
  const tally = el("span", "choice-tally");
  node.count = el("span", "choice-count num");
  node.pct = el("span", "choice-pct num");
  tally.append(node.count, node.pct);
  node.append(node.fill, node.letter, node.label, tally);
  return node;
}

function drawSide(view, mode) {
  const q = view.question;
  if (!q) { timer = null; return; }
  const prompts = { ready: "screen.get_ready", open: "screen.answer_now", closed: "screen.times_up" };
  text($("prompt"), prompts[q.phase] ? t(prompts[q.phase]) : "");
  const counted = q.tally ? q.tally.total : null;
  $("count").hidden = counted === null;
  text($("count-number"), counted ?? 0);
  timer = view.timer && view.timer.duration_ms ? view.timer : null;
  $("timer").hidden = !timer;
  drawTimer();
  if (mode === "revealed") drawWinners(q);
}

function drawWinners(q) {
  const winners = q.winners || [];
  const most = MAX_WINNERS[document.body.dataset.shape];
  const shown = winners.slice(0, winners.length > most ? most - 1 : most);
  keyed($("winner-list"), shown, (w) => `${w.nickname}@${w.at}`, makeWinner, (node, w, index) => {
    text(node.rank, index + 1);
    fitName(node.name, w.nickname || t("screen.anonymous")); // a phone's nickname: up to 100 letters
  });
  if (shown.length < winners.length) {
    const more = el("li", "winner more", `+ ${winners.length - shown.length}`);
    more.dataset.key = "more";
    $("winner-list").append(more);
  }
  $("winner-list").hidden = !winners.length;
  $("winners-title").hidden = !winners.length;
  const hasAnswer = q.answer !== null && q.answer !== undefined;
  text($("winners-note"), winners.length ? "" : t(hasAnswer ? "screen.no_winners" : "screen.thanks_vote"));
  $("winners-note").hidden = Boolean(winners.length);
}

function makeWinner() {
  const node = el("li", "winner");
  node.rank = el("span", "winner-rank num");
  node.name = el("span", "winner-name");
  node.append(node.rank, node.name);
  return node;
}

function drawTimer() {
  if (!timer || !client) return;
  const left = client.remaining(timer);
  const share = timer.duration_ms ? Math.max(0, Math.min(1, left / timer.duration_ms)) : 0;
  const face = $("timer");
  face.querySelector(".ring-left").style.strokeDashoffset = String(RING * (1 - share));
  face.classList.toggle("urgent", timer.running && left > 0 && left <= URGENT_MS);
  face.classList.toggle("paused", !timer.running && left > 0);
  face.classList.toggle("done", left <= 0);
  face.classList.toggle("long", left > 99_000); // three digits: a smaller number inside the ring
  const secs = Math.ceil(left / 1000);
  if (secs !== shownSeconds) { text($("timer-number"), secs); shownSeconds = secs; }
  if (timer.running && left > 0 && !frame) frame = requestAnimationFrame(() => { frame = 0; drawTimer(); });
}

/** Teams by standing: rank, name, points; the leaders marked. */
function standingRows(container, view) {
  const teams = new Map((view.teams || []).map((team) => [team.id, team]));
  const decimals = view.show.decimals ?? 0;
  keyed(container, view.standings || [], (s) => s.team, makeRow, (node, s) => {
    const team = teams.get(s.team);
    text(node.rank, s.rank);
    text(node.name, team ? team.short_name || team.name : s.team);
    text(node.points, points(s.points, decimals, lang));
    node.classList.toggle("first", s.rank === 1);
  });
}

function makeRow() {
  const node = el("li", "row");
  node.rank = el("span", "row-rank num");
  node.name = el("span", "row-name fit");
  node.name.dataset.min = "0.5";
  node.name.dataset.wrap = "auto";
  node.points = el("span", "row-points num");
  node.append(node.rank, node.name, node.points);
  return node;
}

function drawBoard(view) {
  standingRows($("board-rows"), view);
}

function drawResults(view) {
  if (view.phase !== "ended") return;
  standingRows($("results-teams"), view);
  const won = (view.audience_winners || []).filter((entry) => entry.winners.length);
  text($("results-title"), t(won.length && !(view.teams || []).length ? "screen.all_winners" : "screen.results"));
  keyed($("results-winners"), won, (entry) => entry.question, makeResult, (node, entry, index) => {
    text(node.heading, t("screen.question_n", { n: index + 1 }));
    text(node.names, entry.winners.map((w) => w.nickname || t("screen.anonymous")).join("\n"));
  });
}

function makeResult() {
  const node = el("div", "result-card");
  node.heading = el("div", "result-q");
  node.names = el("div", "result-names fit");
  node.names.dataset.min = "0.5";
  node.append(node.heading, node.names);
  return node;
}

client = new ShowClient("/overlay", {}, {
  onView: (view) => show(view),
  onStatus: (status) => { document.body.dataset.status = status; },
});

document.fonts.ready.then(refitAll);
document.fonts.addEventListener("loadingdone", refitAll);
window.addEventListener("resize", () => { for (const n of document.querySelectorAll(".fit")) queueFit(n); });
