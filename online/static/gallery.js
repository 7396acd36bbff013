// The initiatives' gallery: every approved initiative with its votes and share, live; a verified phone
// or email votes once for each; a unit submits its own with pictures and a document.
import { $, saying, t } from "./stage.js";

const lang = document.documentElement.lang;
const EVERY = 5000;
let info = null;
let me = null; // {voted, submitted} once signed in
let version = -1;

const when = (ms) => new Date(ms).toLocaleString(lang === "vi" ? "vi-VN" : "en-GB", { dateStyle: "short", timeStyle: "short" });

async function api(path, body) {
  let init = {};
  if (body instanceof FormData) init = { method: "POST", body };
  else if (body !== undefined) init = { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  try {
    const response = await fetch(`/initiatives/api/${path}`, { ...init, credentials: "same-origin" });
    $("offline").hidden = true;
    return await response.json();
  } catch {
    $("offline").hidden = false;
    return { ok: false, error: null };
  }
}

function showSignedIn() {
  $("sign-in").hidden = me !== null;
  $("signed").hidden = me === null;
  if (me) $("signed").textContent = t("initiative.page.signed_in", { n: me.voted.length });
}

$("ask").addEventListener("submit", async (event) => {
  event.preventDefault();
  const answer = await api("code", { contact: $("contact").value.trim() });
  $("sign-error").textContent = answer.ok ? "" : saying(answer.error);
  if (!answer.ok) return;
  $("code-sent").textContent = t("quiz.page.code_sent", { to: answer.to });
  $("verify").hidden = false;
  $("code").focus();
});

$("verify").addEventListener("submit", async (event) => {
  event.preventDefault();
  const answer = await api("verify", { contact: $("contact").value.trim(), code: $("code").value.trim() });
  $("sign-error").textContent = answer.ok ? "" : saying(answer.error);
  if (!answer.ok) return;
  me = answer;
  showSignedIn();
  version = -1;
  refresh();
});

function entry(card) {
  const box = document.createElement("article");
  box.className = "entry";
  box.dataset.id = card.id;
  if (card.images.length) {
    const img = document.createElement("img");
    Object.assign(img, { src: card.images[0], alt: card.title, loading: "lazy" });
    box.append(img);
  }
  const unit = document.createElement("p");
  unit.className = "unit";
  unit.textContent = card.unit;
  const title = document.createElement("h2");
  title.textContent = card.title;
  const summary = document.createElement("p");
  summary.className = "summary";
  summary.textContent = card.summary;
  box.append(unit, title, summary);
  const links = document.createElement("p");
  links.className = "links";
  for (const [href, key] of [[card.video, "initiative.page.watch"], [card.document, "initiative.page.read"]]) {
    if (!href) continue;
    const a = document.createElement("a");
    Object.assign(a, { href, target: "_blank", rel: "noopener", textContent: t(key) });
    links.append(a);
  }
  if (links.childElementCount) box.append(links);
  const tally = document.createElement("div");
  tally.className = "tally";
  const count = document.createElement("span");
  const number = document.createElement("b");
  number.textContent = card.votes.toLocaleString(lang === "vi" ? "vi-VN" : "en-GB");
  count.append(number, ` ${t("initiative.page.votes", { share: card.share })}`);
  const voted = me && me.voted.includes(card.id);
  const button = document.createElement(voted ? "span" : "button");
  if (voted) {
    button.className = "voted";
    button.textContent = t("initiative.page.voted");
  } else {
    button.className = "primary";
    button.textContent = t("initiative.page.vote");
    button.disabled = !info.voting_open;
    button.addEventListener("click", () => vote(card.id, box));
  }
  tally.append(count, button);
  const meter = document.createElement("div");
  meter.className = "meter";
  const fill = document.createElement("i");
  fill.style.width = `${card.share}%`;
  meter.append(fill);
  const error = document.createElement("p");
  error.className = "error";
  box.append(tally, meter, error);
  return box;
}

async function vote(id, box) {
  if (!me) {
    $("sign-in").scrollIntoView({ behavior: "smooth" });
    $("sign-error").textContent = t("initiative.page.sign_in_first");
    $("contact").focus();
    return;
  }
  const answer = await api("vote", { initiative: id });
  if (!answer.ok) {
    box.querySelector(".error").textContent = saying(answer.error);
    return;
  }
  me.voted.push(id);
  showSignedIn();
  version = -1;
  refresh();
}

async function refresh() {
  const got = await api("gallery");
  if (got.ok && got.version !== version) {
    version = got.version;
    info.voting_open = got.voting_open;
    $("cards").replaceChildren(...got.initiatives.map(entry));
    $("none").hidden = got.initiatives.length > 0;
    $("status").textContent = t(got.voting_open ? "initiative.page.voting_open" : "initiative.page.voting_closed", {
      votes: got.votes, opens: when(info.voting.opens), closes: when(info.voting.closes),
    });
  }
}

$("submit").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!me) {
    $("submit-error").textContent = t("initiative.page.sign_in_first");
    return;
  }
  const answer = await api("submit", new FormData($("submit")));
  $("submit-error").textContent = answer.ok ? "" : saying(answer.error);
  $("submitted").textContent = answer.ok ? t("initiative.page.submitted", { title: answer.initiative.title }) : "";
  if (answer.ok) $("submit").reset();
});

async function boot() {
  info = await api("info");
  if (!info.ok) return setTimeout(boot, 3000);
  for (const unit of info.units) $("unit").append(new Option(unit, unit));
  const mine = await api("me");
  me = mine.ok ? mine : null;
  showSignedIn();
  await refresh();
  setInterval(refresh, EVERY);
}

boot();
