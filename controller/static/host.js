// The host's (MC's) screen: what to read, what is right, who buzzed, the clock and the scores, from the
// producer's view. It reads only: the host runs nothing, the producer does.
import { points as formatPoints } from "/static/js/format.js";
import { ShowClient, esc, seconds } from "/static/js/show-client.js";
import { T, showStatus, t } from "/controller/ui.js";

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token") || "";
const lang = document.documentElement.lang || "vi";

let view = null;

/** Points as every page writes them, with the show's fixed decimals. */
const points = (value) => formatPoints(value, view.show.decimals ?? 0, lang);

const client = new ShowClient("/host", { token }, {
  onView: (v) => { view = v; render(); },
  onStatus: (status) => {
    document.body.dataset.status = status;
    showStatus($("status"), status);
    $("offline").hidden = status !== "offline";
    $("refused").hidden = status !== "refused";
    $("screen").hidden = status === "refused";
  },
});

const team = (id) => view.teams.find((x) => x.id === id) || { id, name: id };
// The host reads names aloud: the full one, except on the score cards of a crowded show.
const teamName = (id) => team(id).name;
const cardName = (x) => (view.teams.length > 4 && x.short_name ? x.short_name : x.name);

// -- rendering ------------------------------------------------------------------------------------------

function render() {
  if (!view) return;
  document.body.dataset.rev = String(client.rev);
  renderHead();
  renderStage();
  renderSide();
  renderScores();
  renderNext();
  fitAll();
}

function renderHead() {
  const seg = view.segment;
  if (!seg) {
    $("segment-kicker").textContent = "";
    $("segment-title").textContent = t(view.phase === "ended" ? "host.ended" : "host.not_started");
    return;
  }
  const total = view.rundown.length;
  const where = seg.index < total ? t("host.segment_of", { n: seg.index + 1, total }) : t("host.tiebreak");
  $("segment-kicker").textContent = `${where} · ${t(`host.round.${seg.round}`)}`;
  $("segment-title").textContent = seg.title;
}

function renderStage() {
  const q = view.question;
  const phase = $("q-phase");
  phase.hidden = !q;
  if (q) {
    phase.className = `phase ${q.phase}`;
    phase.textContent = t(`host.phase.${q.phase}`);
  }
  if (!q) {
    // Between questions the host introduces the segment: its notes take the stage.
    const notes = view.segment && view.segment.notes;
    $("stage").dataset.mode = "intro";
    $("q-meta").textContent = view.segment ? t("host.no_question") : "";
    $("q-text").textContent = "";
    $("q-options").hidden = true;
    $("answer-box").hidden = true;
    setNotes(notes, "host.segment_notes");
    return;
  }
  $("stage").dataset.mode = "question";
  const meta = [t("host.question")];
  if (q.value) meta.push(t("host.value", { points: points(q.value) }));
  if (q.star) meta.push(t("host.star"));
  $("q-meta").textContent = meta.join(" · ");
  $("q-text").textContent = q.text;
  const options = $("q-options");
  options.hidden = !q.options;
  options.innerHTML = q.options
    ? Object.entries(q.options).map(([letter, text]) =>
      `<li class="${letter === q.answer ? "correct" : ""}" data-option="${esc(letter)}"><b>${esc(letter)}</b> ${esc(text)}</li>`).join("")
    : "";
  $("answer-box").hidden = false;
  const answer = q.answer == null ? t(q.essay ? "host.essay" : "host.no_answer")
    : q.options && q.options[q.answer] ? `${q.answer}. ${q.options[q.answer]}` : q.answer;
  $("answer").textContent = answer;
  setNotes(q.notes, "host.notes");
}

function setNotes(text, label) {
  $("notes-box").hidden = !text;
  $("notes-label").textContent = t(label);
  $("notes").textContent = text || "";
}

function renderSide() {
  const q = view.question;
  const who = $("who");
  const holder = q && (q.floor || q.turn);
  who.hidden = !holder;
  if (holder) {
    who.innerHTML = `<span class="box-label">${esc(t(q.floor ? "host.floor" : "host.turn"))}</span> ${esc(teamName(holder))}`;
    who.classList.toggle("floor", Boolean(q.floor));
  }
  const buzzes = (q && q.buzzes) || [];
  const first = buzzes.length ? buzzes[0].at : 0;
  $("buzzes").innerHTML = buzzes.length
    ? buzzes.map((b, i) => `<li data-team="${esc(b.team)}" class="${q.floor === b.team ? "floor" : ""}">
        <span class="n">${i + 1}</span><span class="name">${esc(teamName(b.team))}</span>
        <span class="gap">${i ? `+${esc(formatPoints((b.at - first) / 1000, 2, lang))} s` : ""}</span></li>`).join("")
    : `<li class="none">${esc(t("host.no_buzzes"))}</li>`;
  $("answers").innerHTML = answerRows(q);
}

function answerRows(q) {
  if (q && q.tally && q.tally.total) {
    // An audience question: the phones' votes per option, then the winners once revealed.
    const rows = Object.entries(q.tally.counts).map(([option, n]) =>
      `<li class="${option === q.answer ? "good" : ""}"><span class="name">${esc(option)}</span><span class="verdict">${esc(String(n))}</span></li>`);
    rows.push(`<li class="none">${esc(t("host.votes", { n: q.tally.total }))}</li>`);
    if (q.winners && q.winners.length) {
      rows.push(`<li><span class="name">${esc(t("host.winners"))}: ${esc(q.winners.map((w) => w.nickname).join(", "))}</span></li>`);
    }
    return rows.join("");
  }
  const answers = Object.entries((q && q.answers) || {}).sort((a, b) => (a[1].elapsed_ms ?? 0) - (b[1].elapsed_ms ?? 0));
  if (!answers.length) return `<li class="none">${esc(t("host.no_answers"))}</li>`;
  return answers.map(([id, a]) => {
    const verdict = a.correct === true ? "good" : a.correct === false ? "bad" : "";
    const word = t(a.correct === true ? "host.correct" : a.correct === false ? "host.wrong" : "host.ungraded");
    // A buzzer round's answer is spoken: the verdict is all there is to show.
    const text = a.text ? `<span class="text">${esc(a.text)}</span>` : "";
    return `<li class="${verdict}" data-team="${esc(id)}"><span class="name">${esc(teamName(id))}</span>
      <span class="verdict">${esc(word)}</span>${text}</li>`;
  }).join("");
}

function renderScores() {
  const q = view.question;
  const list = $("scores");
  list.style.setProperty("--cols", String(Math.min(view.teams.length, view.teams.length > 6 ? Math.ceil(view.teams.length / 2) : 6)));
  list.innerHTML = view.teams.map((x) => {
    const marks = [q && q.floor === x.id ? "floor" : "", q && q.turn === x.id ? "turn" : ""].filter(Boolean).join(" ");
    return `<li data-team="${esc(x.id)}" class="${marks}"><span class="name">${esc(cardName(x))}</span>
      <span class="pts">${esc(points(x.score))}</span></li>`;
  }).join("");
}

function renderNext() {
  const key = view.next_action;
  $("next-bar").hidden = !key;
  if (!key) return;
  const floor = view.question && view.question.floor;
  $("next").textContent = key === "judge" && floor ? t("host.next.judge_team", { team: teamName(floor) })
    : (T[`host.next.${key}`] ?? key.replaceAll("_", " "));
}

// -- the clock: the server's, through the shared client ------------------------------------------------

function tick() {
  if (view) {
    const timer = view.timer;
    const el = $("timer");
    if (!timer || !timer.duration_ms) {
      el.textContent = "—";
      el.className = "timer idle";
    } else {
      const ms = client.remaining(timer);
      const s = seconds(ms);
      el.textContent = s >= 60 ? `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}` : String(s);
      el.className = `timer${timer.running ? " running" : ""}${timer.running && ms <= 5000 ? " low" : ""}`;
    }
  }
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);

// -- nothing scrolls: long text shrinks its column until it fits ----------------------------------------

const MIN_SCALE = 0.5;

function fit(el) {
  let scale = 1;
  el.style.setProperty("--k", "1");
  while (el.scrollHeight > el.clientHeight + 1 && scale > MIN_SCALE) {
    scale = Math.round((scale - 0.05) * 100) / 100;
    el.style.setProperty("--k", String(scale));
  }
}

function fitAll() {
  fit($("stage"));
  fit($("side"));
}

new ResizeObserver(() => { if (view) fitAll(); }).observe(document.body);
