// The initiatives' desk: the organizers approve or reject what units submitted; the judges score what
// was approved, against the criteria. Which of the two the token is decides what the page shows. The
// ranking (judges' and community's weights) is below, live.
import { $, saying, t, takeToken } from "./stage.js";

const headers = { Authorization: `Bearer ${takeToken("initiatives-desk-token")}`, "Content-Type": "application/json" };

async function call(path, body) {
  try {
    const init = body ? { method: "POST", headers, body: JSON.stringify(body) } : { headers };
    return await (await fetch(`/initiatives/api/${path}`, init)).json();
  } catch {
    return { ok: false, error: null };
  }
}

function text(tag, content, className) {
  const node = document.createElement(tag);
  node.textContent = content;
  if (className) node.className = className;
  return node;
}

function reviewCard(item) {
  const card = document.createElement("article");
  card.className = "card";
  card.dataset.id = item.id;
  card.append(text("p", `${item.unit} · ${item.contact}`, "kind"), text("h2", item.title), text("p", item.summary, "essay-text"));
  const row = document.createElement("div");
  row.className = "row";
  const state = text("span", t(`initiative.page.status_${item.status}`), item.status === "approved" ? "done-mark" : "muted");
  for (const [approved, key] of [[true, "initiative.page.approve"], [false, "initiative.page.reject"]]) {
    const button = text("button", t(key), approved ? "primary" : "");
    button.type = "button";
    button.addEventListener("click", async () => {
      const answer = await call("review", { initiative: item.id, approved });
      $("error").textContent = answer.ok ? "" : saying(answer.error);
      if (answer.ok) load();
    });
    row.append(button);
  }
  row.append(state);
  card.append(row);
  return card;
}

function scoreCard(item, criteria) {
  const card = document.createElement("article");
  card.className = "card";
  card.dataset.id = item.id;
  card.append(text("p", item.unit, "kind"), text("h2", item.title), text("p", item.summary, "essay-text"));
  const form = document.createElement("form");
  form.noValidate = true;
  const marks = document.createElement("div");
  marks.className = "marks";
  for (const c of criteria) {
    const label = document.createElement("label");
    label.className = "field";
    const input = document.createElement("input");
    Object.assign(input, { type: "number", min: "0", max: c.max, step: "0.5", name: c.id, inputMode: "decimal" });
    if (item.marks) input.value = item.marks[c.id];
    label.append(text("span", `${c.title} (0–${c.max})`), input);
    marks.append(label);
  }
  const row = document.createElement("div");
  row.className = "row";
  const save = text("button", t("quiz.judge.save"), "primary");
  save.type = "submit";
  const state = text("span", item.marks ? t("quiz.judge.saved") : t("quiz.judge.not_marked"), item.marks ? "done-mark" : "muted");
  const error = text("p", "", "error");
  row.append(save, state);
  form.append(marks, row, error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const given = Object.fromEntries(criteria.map((c) => [c.id, form.elements[c.id].value.trim()]));
    const answer = await call("scores", { initiative: item.id, marks: given });
    error.textContent = answer.ok ? "" : saying(answer.error);
    if (answer.ok) {
      state.className = "done-mark";
      state.textContent = t("quiz.judge.saved");
      ranking();
    }
  });
  card.append(form);
  return card;
}

async function ranking() {
  const [info, got] = await Promise.all([call("info"), call("ranking")]);
  if (!got.ok || !info.ok) return;
  const pct = (w) => Math.round(Number(w) * 100);
  $("ranking-title").textContent = t("initiative.page.ranking", { judges: pct(info.weights.judges), community: pct(info.weights.community) });
  const head = document.createElement("tr");
  head.append(...["#", "initiative.page.col_initiative", "initiative.page.col_votes", "initiative.page.col_judges", "initiative.page.col_score"]
    .map((key) => text("th", key === "#" ? key : t(key))));
  $("ranking").replaceChildren(
    head,
    ...got.ranking.map((r) => {
      const tr = document.createElement("tr");
      if (r.rank <= got.finalists) tr.className = "finalist";
      const cells = [r.rank, `${r.title} — ${r.unit}`, `${r.votes} (${r.share}%)`, r.judges ?? "—", r.score];
      tr.append(...cells.map((c) => text("td", String(c))));
      return tr;
    }),
  );
}

async function load() {
  const review = await call("review");
  if (review.ok) {
    $("list").replaceChildren(...review.initiatives.map(reviewCard));
  } else {
    const judging = await call("judging");
    if (!judging.ok) {
      $("error").textContent = saying(judging.error);
      return;
    }
    $("list").replaceChildren(...judging.initiatives.map((i) => scoreCard(i, judging.criteria)));
  }
  ranking();
}

load();
