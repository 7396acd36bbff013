// The entrant's page: register with a one-time code, take the quiz against the server's clock, resume
// after a reload or on another device, see the result. Every answer is saved as it is chosen; one that
// could not be saved is kept and sent again, and the page says so.
import { $, saying, t } from "./stage.js";

const LETTERS = "ABCDEF";
const lang = document.documentElement.lang;

let info = null; // the quiz: title, window, units, essay
let me = null; // the entrant and their attempt, as the server last said
let skew = 0; // server clock - this device's clock, ms
let current = 0; // the question shown (the essay is the one after the last)
let returning = false; // signing in again: no name, unit or consent asked
const unsaved = new Map(); // item -> choice not yet acknowledged
let essayTimer = null;
let essayUnsaved = false;
let ticker = null;

function show(view) {
  document.body.dataset.view = view;
  for (const id of ["loading", "register", "code", "ready", "attempt", "done"]) $(id).hidden = id !== view;
}

async function api(path, body) {
  const init = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  let response;
  try {
    response = await fetch(`/quiz/api/${path}`, { ...init, credentials: "same-origin" });
  } catch {
    $("offline").hidden = false;
    return { ok: false, network: true, error: null };
  }
  $("offline").hidden = true;
  try {
    const answer = await response.json();
    if (typeof answer.server_time === "number") skew = answer.server_time - Date.now();
    return answer;
  } catch {
    return { ok: false, error: null };
  }
}

const now = () => Date.now() + skew;

function clockText(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

function when(ms) {
  return new Date(ms).toLocaleString(lang === "vi" ? "vi-VN" : "en-GB", { dateStyle: "short", timeStyle: "short" });
}

// -- registering ----------------------------------------------------------------------------

function setReturning(on) {
  returning = on;
  for (const id of ["name-field", "unit-field", "consent-field"]) $(id).hidden = on;
  $("returning").textContent = t(on ? "quiz.page.new_entrant" : "quiz.page.returning");
}

$("returning").addEventListener("click", () => setReturning(!returning));

$("ask").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { contact: $("contact").value.trim() };
  if (!returning) Object.assign(body, { name: $("name").value.trim(), unit: $("unit").value, consent: $("consent").checked });
  $("ask-button").disabled = true;
  const answer = await api("code", body);
  $("ask-button").disabled = false;
  if (!answer.ok) {
    $("ask-error").textContent = saying(answer.error);
    return;
  }
  $("ask-error").textContent = "";
  $("code-sent").textContent = t("quiz.page.code_sent", { to: answer.to });
  show("code");
  $("code-input").focus();
});

$("code-back").addEventListener("click", () => show("register"));

$("verify").addEventListener("submit", async (event) => {
  event.preventDefault();
  const answer = await api("verify", { contact: $("contact").value.trim(), code: $("code-input").value.trim() });
  if (!answer.ok) {
    $("code-error").textContent = saying(answer.error);
    return;
  }
  $("code-error").textContent = "";
  enter(answer);
});

$("start").addEventListener("click", async () => {
  $("start").disabled = true;
  const answer = await api("start", {});
  $("start").disabled = false;
  if (!answer.ok) {
    $("ready-error").textContent = saying(answer.error);
    return;
  }
  enter(answer);
});

// -- the attempt ----------------------------------------------------------------------------

function enter(state) {
  me = state;
  const attempt = state.attempt;
  if (!attempt) {
    $("hello").textContent = t("quiz.page.hello", { name: state.entrant.name });
    $("ready-unit").textContent = state.entrant.unit;
    show("ready");
    return;
  }
  if (attempt.finished !== null) return finished(attempt);
  for (const [item, choice] of unsaved) attempt.answers[item] = choice; // what this page chose but could not save yet
  show("attempt");
  drawGrid();
  showQuestion(Math.min(current, attempt.questions.length - (info.essay ? 0 : 1)));
  if (info.essay && !essayUnsaved) $("essay-text").value = attempt.essay;
  countEssay();
  clearInterval(ticker);
  ticker = setInterval(tick, 250);
  tick();
}

function tick() {
  const left = me.attempt.deadline - now();
  $("clock").textContent = clockText(left);
  $("clock").parentElement.classList.toggle("urgent", left < 60_000);
  if (left <= 0) {
    clearInterval(ticker);
    timeUp();
  }
}

async function timeUp() {
  await flushEssay();
  // The server ends the attempt at its deadline; ask until it says so.
  for (let i = 0; i < 20; i++) {
    const answer = await api("me");
    if (answer.ok && answer.attempt && answer.attempt.finished !== null) return enter(answer);
    await new Promise((done) => setTimeout(done, 500));
  }
}

function drawGrid() {
  const grid = $("grid");
  grid.replaceChildren();
  const count = me.attempt.questions.length;
  for (let i = 0; i < count + (info.essay ? 1 : 0); i++) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = i < count ? String(i + 1) : "✎";
    button.setAttribute("aria-label", i < count ? t("quiz.page.question_n", { n: i + 1 }) : t("quiz.page.essay"));
    button.addEventListener("click", () => showQuestion(i));
    grid.append(button);
  }
  markGrid();
}

function markGrid() {
  const buttons = $("grid").children;
  const answers = me.attempt.answers;
  for (let i = 0; i < buttons.length; i++) {
    const answered = i < answers.length ? answers[i] !== null : $("essay-text").value.trim() !== "";
    buttons[i].classList.toggle("answered", answered);
    buttons[i].classList.toggle("current", i === current);
  }
}

function showQuestion(index) {
  const questions = me.attempt.questions;
  current = index;
  const essay = index >= questions.length;
  $("question").hidden = essay;
  $("essay").hidden = !essay;
  if (essay) {
    $("essay-prompt").textContent = info.essay.prompt;
    $("essay-max").textContent = info.essay.max_chars;
  } else {
    const q = questions[index];
    $("q-number").textContent = t("quiz.page.question_of", { n: index + 1, count: questions.length });
    $("q-text").textContent = q.text;
    const box = $("choices");
    box.replaceChildren();
    q.choices.forEach((text, k) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "choice";
      button.setAttribute("role", "radio");
      button.setAttribute("aria-checked", String(me.attempt.answers[index] === k));
      const letter = document.createElement("span");
      letter.className = "letter";
      letter.textContent = LETTERS[k];
      const label = document.createElement("span");
      label.textContent = text;
      button.append(letter, label);
      button.addEventListener("click", () => choose(index, k));
      box.append(button);
    });
  }
  $("prev").disabled = index === 0;
  $("next").disabled = index >= questions.length - (info.essay ? 0 : 1);
  markGrid();
}

$("prev").addEventListener("click", () => showQuestion(current - 1));
$("next").addEventListener("click", () => showQuestion(current + 1));

function status(key, bad = false) {
  $("saved").textContent = t(key, { n: unsaved.size + (essayUnsaved ? 1 : 0) });
  $("saved").classList.toggle("bad", bad);
}

async function choose(item, choice) {
  me.attempt.answers[item] = choice;
  unsaved.set(item, choice);
  if (current === item) showQuestion(item);
  await save(item, choice);
}

async function save(item, choice) {
  status("quiz.page.saving");
  const answer = await api("answer", { item, choice });
  if (answer.ok) {
    if (unsaved.get(item) === choice) unsaved.delete(item);
    status(unsaved.size || essayUnsaved ? "quiz.page.unsaved" : "quiz.page.saved", unsaved.size > 0);
    return true;
  }
  if (answer.network || answer.error?.code === "rate_limited") {
    status("quiz.page.unsaved", true);
    setTimeout(retry, 2000);
    return false;
  }
  unsaved.delete(item);
  $("attempt-error").textContent = saying(answer.error);
  const fresh = await api("me");
  if (fresh.ok) enter(fresh);
  return false;
}

async function retry() {
  for (const [item, choice] of [...unsaved]) if (!(await save(item, choice))) return;
  if (essayUnsaved) await flushEssay();
}

function countEssay() {
  $("essay-count").textContent = $("essay-text").value.length;
}

$("essay-text").addEventListener("input", () => {
  countEssay();
  essayUnsaved = true;
  status("quiz.page.unsaved");
  clearTimeout(essayTimer);
  essayTimer = setTimeout(flushEssay, 1500);
  markGrid();
});

async function flushEssay() {
  clearTimeout(essayTimer);
  if (!essayUnsaved || !info.essay) return true;
  const text = $("essay-text").value;
  status("quiz.page.saving");
  const answer = await api("essay", { text });
  if (answer.ok) {
    if ($("essay-text").value === text) essayUnsaved = false;
    status(unsaved.size || essayUnsaved ? "quiz.page.unsaved" : "quiz.page.saved");
    return true;
  }
  status("quiz.page.unsaved", true);
  if (answer.network) essayTimer = setTimeout(flushEssay, 2000);
  else $("attempt-error").textContent = saying(answer.error);
  return false;
}

$("submit").addEventListener("click", async () => {
  const open = me.attempt.answers.filter((a) => a === null).length;
  if (!confirm(t(open ? "quiz.page.submit_confirm_open" : "quiz.page.submit_confirm", { n: open }))) return;
  await retry();
  await flushEssay();
  if (unsaved.size || essayUnsaved) {
    $("attempt-error").textContent = t("quiz.page.not_all_saved");
    return;
  }
  const answer = await api("submit", {});
  if (!answer.ok) {
    $("attempt-error").textContent = saying(answer.error);
    const fresh = await api("me");
    if (fresh.ok) enter(fresh);
    return;
  }
  enter(answer);
});

function finished(attempt) {
  clearInterval(ticker);
  const result = attempt.result;
  $("done-title").textContent = t(attempt.timed_out ? "quiz.page.done_time_up" : "quiz.page.done_title");
  $("done-correct").textContent = t("quiz.page.done_correct", { correct: result.correct, count: result.count });
  $("done-time").textContent = t("quiz.page.done_time", { time: clockText(result.used_ms) });
  $("done-points").textContent = t("quiz.page.done_points", { points: result.points });
  $("done-essay").hidden = !info.essay;
  show("done");
}

// -- start ------------------------------------------------------------------------------------

window.addEventListener("online", retry);

async function boot() {
  const got = await api("info");
  if (!got.ok) {
    $("loading").firstElementChild.textContent = t("quiz.page.network");
    setTimeout(boot, 3000);
    return;
  }
  info = got;
  $("window").textContent = t("quiz.page.window", { opens: when(info.opens), closes: when(info.closes) });
  $("fact-questions").textContent = t("quiz.page.fact_questions", { n: info.questions });
  $("fact-minutes").textContent = t("quiz.page.fact_minutes", { n: info.minutes });
  $("fact-essay").hidden = !info.essay;
  for (const unit of info.units) $("unit").append(new Option(unit, unit));
  const mine = await api("me");
  if (mine.ok) return enter(mine);
  setReturning(false);
  show("register");
}

boot();
