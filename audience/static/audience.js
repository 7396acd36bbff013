// The audience's phone page: the open question or team vote, one tap to vote, then the result.
// The server decides everything (docs/protocol.md, namespace /audience); this page shows it and
// remembers what this phone voted, so a phone that slept or reloaded still shows its vote.
import { ShowClient, deviceId, seconds } from "/static/js/show-client.js";

const T = JSON.parse(document.getElementById("strings").textContent);
const $ = (id) => document.getElementById(id);
const percent = new Intl.NumberFormat(document.documentElement.lang, { style: "percent", maximumFractionDigits: 0 });
const VOTES = "showcaller.votes"; // {pollId: {option, at}}
const NICKNAME = "showcaller.nickname";
const KEEP_MS = 12 * 3600e3; // a rehearsal's votes must not follow a phone into the next show (same poll ids)

/** A catalogue string with {name} placeholders filled in. */
const t = (key, values = {}) => (T[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");

let view = null;
let sending = null; // the option on its way
let problem = null; // {poll, text}: why the last tap was not counted
let votesSent = 0; // a `mine` answer older than a vote may not say "no vote"
let pollId = null;
let built = "";
let shown = "connecting"; // the connection status on screen: a refusal that will pass shows as "connecting"
let retryMs = 1000;

// -- this phone's votes -------------------------------------------------------------------------------

function votes() {
  try { return JSON.parse(localStorage.getItem(VOTES)) || {}; } catch { return {}; }
}

function myVote(id) {
  const kept = votes()[id];
  return kept && Date.now() - kept.at < KEEP_MS ? kept.option : null;
}

function keepVote(id, option) {
  const all = votes();
  if (option === null) delete all[id];
  else all[id] = { option, at: Date.now() };
  for (const [key, kept] of Object.entries(all)) if (Date.now() - kept.at > KEEP_MS) delete all[key];
  try { localStorage.setItem(VOTES, JSON.stringify(all)); } catch { /* private mode: this visit only */ }
}

/** Ask the server what this phone voted in the current poll: it knows better than localStorage. */
async function askMine() {
  const before = votesSent;
  const reply = await client.send("mine", {});
  if (!reply.ok || !reply.poll) return; // not connected, or a server without `mine`: localStorage alone
  if (reply.vote) {
    keepVote(reply.poll, reply.vote.option);
    if (problem && problem.poll === reply.poll) problem = null; // "already voted": the vote itself says it better
  } else if (before === votesSent && sending === null) keepVote(reply.poll, null);
  render();
}

function errorText(error) {
  if (error.code === "offline") return t("audience.err_offline");
  if (error.code === "timeout") return t("audience.err_timeout");
  return said(error) || error.message || error.code;
}

/** Words the server sent as {key, params} (docs/protocol.md, "Words"), from the page's catalogue. */
function said(words) {
  const text = words && T[words.key];
  if (text === undefined || text === null) return "";
  const params = words.params || {};
  const param = (value) => {
    if (value == null) return "";
    if (typeof value !== "object") return String(value);
    return "key" in value ? said(value) : (value[document.documentElement.lang] ?? value.en ?? "");
  };
  return text.replace(/\{(\w+)\}/g, (_, name) => param(params[name]));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function vote(option) {
  const poll = view && view.poll;
  if (!poll || !canVote(poll)) return;
  problem = null;
  if (client.status !== "live") {
    problem = { poll: poll.id, text: `${t("audience.not_sent")}: ${t("audience.err_offline")}` };
    render();
    return;
  }
  const nickname = $("nickname").value.trim();
  const payload = poll.kind === "question" && nickname ? { option, nickname } : { option };
  sending = option;
  votesSent += 1;
  render();
  let ack = await client.send("vote", payload);
  // A phone that just (re)connected has spent its burst on the clock sync, or the show is changing
  // the question this very moment ("busy"): wait a moment, not fail.
  for (let i = 0; i < 3 && !ack.ok && (ack.error.code === "rate_limited" || ack.error.code === "busy"); i++) {
    await sleep(ack.error.code === "busy" ? 250 : 700);
    ack = await client.send("vote", payload);
  }
  sending = null;
  if (ack.ok) keepVote(ack.poll || poll.id, ack.option || option);
  else {
    problem = { poll: poll.id, text: `${t("audience.not_sent")}: ${errorText(ack.error)}` };
    if (ack.error.code === "rule") askMine(); // e.g. already voted from this phone: show that vote
  }
  render();
}

// -- the poll's state ------------------------------------------------------------------------------------

const timed = (poll) => !!(poll.timer && poll.timer.duration_ms > 0);
const timeLeft = (poll) => !timed(poll) || client.remaining(poll.timer) > 0;

/** ready (shown, not open yet), open, timeup (the server has yet to close it), closed, revealed. */
function phaseOf(poll) {
  if (poll.answer) return "revealed";
  if (poll.open) return timeLeft(poll) ? "open" : "timeup";
  if (poll.kind === "question" && !poll.tally) return "ready";
  return "closed";
}

function canVote(poll) {
  return phaseOf(poll) === "open" && sending === null && myVote(poll.id) === null;
}

/** How a choice reads in a sentence: the letter of a question's option, a team's name. */
const choiceText = (poll, key) => (poll.kind === "question" ? key : poll.options[key] ?? key);

// -- rendering -------------------------------------------------------------------------------------------

function buildOptions(poll) {
  const key = `${poll.id}|${JSON.stringify(poll.options)}`;
  if (built === key) return;
  built = key;
  $("options").replaceChildren(...Object.entries(poll.options).map(([option, label]) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "opt";
    button.dataset.option = option;
    if (poll.kind === "question") {
      const letter = document.createElement("span");
      letter.className = "key";
      letter.textContent = option;
      button.append(letter);
    }
    const text = document.createElement("span");
    text.className = "label";
    text.textContent = label;
    const count = document.createElement("span");
    count.className = "count";
    button.append(text, count);
    return button;
  }));
}

function render() {
  const poll = view && view.poll;
  $("waiting").hidden = !!poll;
  $("poll").hidden = !poll;
  if (!view) {
    $("waiting-title").textContent = t(shown === "refused" ? "audience.refused" : "audience.connecting");
    return;
  }
  $("waiting-title").textContent = t("audience.wait_title");
  if (!poll) { pollId = null; return; }
  if (poll.id !== pollId) {
    pollId = poll.id;
    problem = null;
    if (client.status === "live") askMine();
  }
  const phase = phaseOf(poll);
  const mine = sending ?? myVote(poll.id);
  document.body.dataset.phase = phase;
  $("kind").textContent = t(poll.kind === "team_vote" ? "audience.kind_team_vote" : "audience.kind_question");
  $("text").textContent = poll.text;
  // The name can be typed while the question is read out, before voting opens.
  $("nick").hidden = !(poll.kind === "question" && (phase === "ready" || phase === "open") && mine === null);

  buildOptions(poll);
  const tally = poll.tally;
  const open = canVote(poll) && client.status === "live";
  $("options").classList.toggle("locked", !open);
  for (const button of $("options").children) {
    const option = button.dataset.option;
    button.disabled = !open;
    button.classList.toggle("mine", mine === option);
    button.classList.toggle("sending", sending === option);
    button.classList.toggle("right", poll.answer === option);
    let tag = button.querySelector(".tag");
    if (mine === option && !tag) {
      tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = t("audience.mine");
      button.querySelector(".label").append(tag);
    } else if (mine !== option && tag) tag.remove();
    const count = button.querySelector(".count");
    if (tally) {
      const n = tally.counts[option] || 0;
      const share = tally.total ? n / tally.total : 0;
      button.style.setProperty("--share", String(share));
      count.replaceChildren(String(n), Object.assign(document.createElement("small"), { textContent: percent.format(share) }));
    } else {
      button.style.removeProperty("--share");
      count.replaceChildren();
    }
  }

  // The line under the options: what happened to this phone's vote, or what to do.
  let main = "";
  let sub = "";
  let kind = "muted";
  const chose = mine !== null ? t("audience.you_chose", { choice: choiceText(poll, mine) }) : t("audience.no_vote");
  if (sending !== null) main = t("audience.sending");
  else if (phase === "ready") main = t("audience.soon");
  else if (phase === "open") {
    if (mine !== null) { main = t("audience.recorded", { choice: choiceText(poll, mine) }); kind = "ok"; }
    else main = t(poll.kind === "team_vote" ? "audience.tap_team" : "audience.tap_to_vote");
  } else if (phase === "revealed") {
    const answer = choiceText(poll, poll.answer);
    if (mine === null) { main = t("audience.answer_is", { answer }); kind = ""; }
    else if (mine === poll.answer) { main = t("audience.right"); kind = "ok"; }
    else { main = t("audience.wrong", { answer }); kind = "error"; }
    sub = chose;
  } else {
    main = t("audience.closed");
    kind = "";
    sub = chose;
  }
  if (problem && problem.poll === poll.id && sending === null) { main = problem.text; kind = "error"; }
  if (tally) sub = [t("audience.results", { total: tally.total }), sub].filter(Boolean).join(" · ");
  $("note").dataset.kind = kind;
  $("note").replaceChildren(main, ...(sub ? [Object.assign(document.createElement("small"), { textContent: sub })] : []));

  const revealed = phase === "revealed" && poll.kind === "question";
  $("winners").hidden = !revealed;
  if (revealed) {
    const names = poll.winners || [];
    $("winner-list").hidden = !names.length;
    $("winner-list").replaceChildren(...names.map((name) => Object.assign(document.createElement("li"), { textContent: name || t("audience.anonymous") })));
    let none = $("winners").querySelector("p");
    if (!names.length && !none) $("winners").append(Object.assign(document.createElement("p"), { textContent: t("audience.no_winners") }));
    else if (names.length && none) none.remove();
  }
  tick();
}

/** The countdown, on the server's clock; closes the buttons when time runs out, before the server says so. */
function tick() {
  const poll = view && view.poll;
  const phase = poll ? phaseOf(poll) : "";
  const show = !!poll && timed(poll) && (phase === "open" || phase === "timeup");
  $("countdown").hidden = !show;
  $("bar").hidden = !show;
  if (!show) return;
  const left = client.remaining(poll.timer);
  $("seconds").textContent = String(seconds(left));
  $("countdown").classList.toggle("urgent", poll.timer.running && left <= 5000);
  $("bar-fill").style.transform = `scaleX(${Math.min(1, left / poll.timer.duration_ms)})`;
}

let lastPhase = "";
setInterval(() => {
  const poll = view && view.poll;
  if (!poll) return;
  const phase = phaseOf(poll);
  if (phase !== lastPhase) { lastPhase = phase; render(); } else tick();
}, 200);

// -- wiring ----------------------------------------------------------------------------------------------

const client = new ShowClient("/audience", { device: deviceId("phone") }, {
  onView: (v) => { view = v; render(); },
  onEvent: (name, data) => { // the identity the server issued this phone: keep it, present it from now on
    if (name === "identity") { client.auth = data; try { localStorage.setItem("showcaller.phone", data.device); } catch {} }
  },
  onStatus: (status, detail) => {
    if (status === "refused" && detail && detail.code === "rate_limited") {
      // Too many phones joining at once from one network: come back a little later, spread out.
      setTimeout(() => client.socket.connect(), retryMs * (1 + Math.random()));
      retryMs = Math.min(retryMs * 2, 15000);
      status = "connecting";
    } else if (status === "live") retryMs = 1000;
    shown = status;
    document.body.dataset.status = status;
    $("offline").hidden = status !== "offline";
    $("status").setAttribute("aria-label", t(`audience.${status}`));
    $("status").title = t(`audience.${status}`);
    // (Re)connected: the snapshot follows at once, and its render asks `mine` again.
    if (status === "live") pollId = null;
    render();
  },
}, { phones: true });

$("options").addEventListener("click", (e) => {
  const button = e.target.closest("button[data-option]");
  if (button && !button.disabled) vote(button.dataset.option);
});
$("nickname").value = localStorage.getItem(NICKNAME) || "";
$("nickname").addEventListener("input", () => {
  try { localStorage.setItem(NICKNAME, $("nickname").value.trim()); } catch { /* private mode */ }
});
// A phone back from sleep: the client reconnects by itself; ask again what this phone voted.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && client.status === "live" && view && view.poll) askMine();
});
window.addEventListener("storage", () => render()); // the same phone voting in another tab
