// Scoreboard: every team with its score (counting to each new value), the leader crowned.
// A card is [name box | score column]: the column is as wide as the show's widest score (the
// template's --score-col), so a growing score never moves the name's line break; the crown has
// its own place by the score, clear of the name.
import { points } from "/static/js/format.js";
import { countTo, el, fitName, keyed, tabular } from "../dom.js";

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
    const decimals = view.show.decimals;
    const scores = teams.map((t) => t.score);
    const best = Math.max(...scores);
    const someoneAhead = new Set(scores).size > 1;
    const q = view.question;
    const answering = q && (q.phase === "answering" || q.phase === "steal" || q.turn) ? q.floor : null;
    this.row.style.setProperty("--n", String(teams.length));
    keyed(this.row, teams, (t) => t.id, makeCard, (card, t) => {
      fitName(card.name, t.name, t.short_name);
      countTo(card.score, t.score, (v) => points(v, decimals), tabular);
      card.classList.toggle("leader", someoneAhead && t.score === best);
      card.classList.toggle("floor", answering === t.id);
    });
    return true;
  }
}

function makeCard() {
  const card = el("div", "panel team-card");
  card.name = el("div", "team-name fit");
  card.name.dataset.row = "scoreboard"; // the cards' names set alike (dom.js)
  const side = el("div", "team-side");
  const crown = el("span", "crown");
  crown.innerHTML = '<svg viewBox="0 0 24 16" aria-hidden="true"><path d="M1 15h22l1-12-7 5-5-7-5 7-7-5z"/></svg>';
  card.score = el("div", "team-score num");
  side.append(crown, card.score);
  card.append(card.name, side);
  return card;
}
