// Scoreboard: every team with its score (counting to each new value), the leader highlighted.
import { countTo, el, keyed, points, text } from "../dom.js";

export class Scoreboard {
  constructor(node) {
    this.row = el("div", "score-row");
    const panel = el("div", "panel-strip");
    panel.append(this.row);
    node.append(panel);
  }

  update(view) {
    const teams = view.teams || [];
    if (!teams.length) return false;
    const scores = teams.map((t) => t.score);
    const best = Math.max(...scores);
    const someoneAhead = new Set(scores).size > 1;
    const q = view.question;
    const answering = q && (q.phase === "answering" || q.phase === "steal" || q.turn) ? q.floor : null;
    this.row.style.setProperty("--n", String(teams.length));
    keyed(this.row, teams, (t) => t.id, makeCard, (card, t) => {
      text(card.name, t.name);
      countTo(card.score, t.score, points);
      card.classList.toggle("leader", someoneAhead && t.score === best);
      card.classList.toggle("floor", answering === t.id);
    });
    return true;
  }
}

function makeCard() {
  const card = el("div", "panel team-card");
  card.name = el("div", "team-name fit");
  card.name.dataset.min = "0.55";
  card.score = el("div", "team-score num");
  const crown = el("span", "crown");
  crown.innerHTML = '<svg viewBox="0 0 24 16" aria-hidden="true"><path d="M1 15h22l1-12-7 5-5-7-5 7-7-5z"/></svg>';
  card.append(crown, card.name, card.score);
  return card;
}
