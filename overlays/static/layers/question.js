// Question card: round name and points, the question, A–D options, the correct answer revealed.
import { plain } from "/static/js/format.js";
import { attr, el, fitName, keyed, text } from "../dom.js";

export class Question {
  constructor(node, ctx) {
    this.t = ctx.t;
    const panel = el("div", "panel question-card");
    const head = el("div", "card-head");
    this.round = el("div", "round-name fit");
    this.turn = el("div", "chip turn fit");
    this.star = el("div", "chip star", ctx.t("overlay.star"));
    this.value = el("div", "chip value");
    head.append(this.round, this.turn, this.star, this.value);
    this.text = el("div", "question-text fit");
    this.text.dataset.min = "0.55";
    this.options = el("div", "options");
    this.answer = el("div", "answer-box");
    this.answerLabel = el("span", "answer-label", ctx.t("overlay.answer"));
    this.answerText = el("span", "answer-text fit");
    this.answer.append(this.answerLabel, this.answerText);
    panel.append(head, this.text, this.options, this.answer);
    node.append(panel);
    this.panel = panel;
  }

  update(view) {
    const q = view.question;
    if (!q) return false;
    const teams = new Map((view.teams || []).map((t) => [t.id, t]));
    text(this.round, view.segment ? view.segment.title : "");
    const turn = teams.get(q.turn) || { name: q.turn || "", short_name: "" };
    fitName(this.turn, q.turn ? `${this.t("overlay.turn")}: ${turn.name}` : "", `${this.t("overlay.turn")}: ${turn.short_name || turn.name}`);
    this.turn.hidden = !q.turn;
    this.star.hidden = !q.star;
    text(this.value, q.value ? `${plain(q.value)} ${this.t("common.points")}` : "");
    this.value.hidden = !q.value;
    text(this.text, q.text);
    const revealed = q.phase === "revealed" && q.answer !== null && q.answer !== undefined;
    const options = Object.entries(q.options || {});
    keyed(this.options, options, ([letter]) => letter, makeOption, (node, [letter, label]) => {
      text(node.letter, letter);
      text(node.label, label);
      node.classList.toggle("correct", revealed && letter === q.answer);
      node.classList.toggle("dim", revealed && letter !== q.answer);
    });
    this.options.hidden = !options.length;
    text(this.answerText, revealed && !options.length ? q.answer : "");
    this.answer.hidden = !(revealed && !options.length);
    attr(this.panel, "data-phase", q.phase);
    return true;
  }
}

function makeOption() {
  const node = el("div", "option");
  node.letter = el("span", "option-letter");
  node.label = el("span", "option-text fit");
  node.label.dataset.min = "0.6";
  node.append(node.letter, node.label);
  return node;
}
