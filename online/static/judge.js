// The judges' page: every handed-in essay by its code (never its author), the criteria, a judge's own
// marks; saved one essay at a time. The token comes in the address and is kept for this tab only.
import { $, saying, t, takeToken } from "./stage.js";

const token = takeToken("quiz-judge-token");
const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };

async function call(path, body) {
  try {
    const response = await fetch(`/quiz/api/${path}`, body ? { method: "POST", headers, body: JSON.stringify(body) } : { headers });
    return await response.json();
  } catch {
    return { ok: false, error: null };
  }
}

function essayCard(essay, criteria) {
  const card = document.createElement("article");
  card.className = "card";
  card.dataset.essay = essay.essay;
  const head = document.createElement("p");
  head.className = "kind";
  head.textContent = t("quiz.judge.essay_code", { code: essay.essay });
  const text = document.createElement("div");
  text.className = "essay-text";
  text.textContent = essay.text;
  const form = document.createElement("form");
  form.noValidate = true; // the server says what is wrong, in the page's language
  const marks = document.createElement("div");
  marks.className = "marks";
  for (const c of criteria) {
    const label = document.createElement("label");
    label.className = "field";
    const name = document.createElement("span");
    name.textContent = `${c.title} (0–${c.max})`;
    const input = document.createElement("input");
    Object.assign(input, { type: "number", min: "0", max: c.max, step: "0.25", name: c.id, required: true, inputMode: "decimal" });
    if (essay.marks) input.value = essay.marks[c.id];
    label.append(name, input);
    marks.append(label);
  }
  const row = document.createElement("div");
  row.className = "row";
  const save = document.createElement("button");
  save.className = "primary";
  save.type = "submit";
  save.textContent = t("quiz.judge.save");
  const state = document.createElement("span");
  state.className = essay.marks ? "done-mark" : "muted";
  state.textContent = essay.marks ? t("quiz.judge.saved") : t("quiz.judge.not_marked");
  const error = document.createElement("p");
  error.className = "error";
  row.append(save, state);
  form.append(marks, row, error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const given = Object.fromEntries(criteria.map((c) => [c.id, form.elements[c.id].value.trim()]));
    const answer = await call("marks", { essay: essay.essay, marks: given });
    error.textContent = answer.ok ? "" : saying(answer.error);
    if (answer.ok) {
      essay.marks = given;
      state.className = "done-mark";
      state.textContent = t("quiz.judge.saved");
      progress();
    }
  });
  card.append(head, text, form);
  return card;
}

let essays = [];
function progress() {
  $("progress").textContent = t("quiz.judge.progress", { done: essays.filter((e) => e.marks).length, count: essays.length });
}

async function load() {
  const answer = await call("essays");
  if (!answer.ok) {
    $("error").textContent = saying(answer.error);
    return;
  }
  essays = answer.essays;
  $("intro").hidden = false;
  $("prompt").textContent = answer.prompt;
  $("none").hidden = essays.length > 0;
  $("essays").replaceChildren(...essays.map((e) => essayCard(e, answer.criteria)));
  progress();
}

load();
