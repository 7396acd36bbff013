// Who may answer: buzz order with the team on the floor (buzzer, steal, turns), or the speed
// round's ranking by answer time once answers close, with right or wrong after the reveal.
import { points } from "/static/js/format.js";
import { el, fitName, keyed, text, withParts } from "../dom.js";

export class Buzzer {
  constructor(node, ctx) {
    this.t = ctx.t;
    const panel = el("div", "panel order-panel");
    this.title = el("div", "panel-title");
    this.rows = el("div", "order-rows");
    this.note = el("div", "order-note");
    panel.append(this.title, this.rows, this.note);
    node.append(panel);
  }

  update(view) {
    const q = view.question;
    if (!q) return false;
    const teams = new Map((view.teams || []).map((t) => [t.id, t]));
    const round = view.segment && q.segment === view.segment.id ? view.segment.round : null;
    if (round === "audience") return false; // the audience overlay shows the audience's answers
    const speed = round === "speed";
    const rows = speed ? speedRows(q, this.t) : buzzRows(q, this.t);
    if (!rows.length) {
      if (q.phase !== "open" && q.phase !== "steal") return false;
      text(this.note, this.t(speed ? "overlay.waiting_answers" : "overlay.waiting"));
    } else text(this.note, "");
    text(this.title, this.t(speed ? "overlay.speed_ranking" : "overlay.buzz_order"));
    keyed(this.rows, rows, (r) => r.team, makeRow, (row, r, index) => {
      text(row.rank, r.ranked ? index + 1 : "");
      const team = teams.get(r.team);
      fitName(row.name, team ? team.name : r.team, team && team.short_name);
      text(row.time, r.time);
      text(row.state, r.state);
      row.dataset.mark = r.mark || "";
      row.classList.toggle("floor", Boolean(r.floor));
      row.classList.toggle("out", Boolean(r.out));
    });
    this.note.hidden = !this.note.textContent;
    return true;
  }
}

function seconds(ms) {
  return `${points(ms / 1000, 2)} s`; // the one formatter per locale (static/js/format.js)
}

function mark(answer) {
  if (!answer || answer.correct === null || answer.correct === undefined) return "";
  return answer.correct ? "right" : "wrong";
}

function speedRows(q, t) {
  const answers = Object.entries(q.answers || {});
  const timed = answers.filter(([, a]) => typeof a.elapsed_ms === "number");
  if (timed.length) {
    timed.sort((a, b) => a[1].elapsed_ms - b[1].elapsed_ms);
    return timed.map(([team, a]) => ({ team, ranked: true, time: seconds(a.elapsed_ms), state: "", mark: mark(a) }));
  }
  return answers.map(([team]) => ({ team, ranked: false, time: "", state: t("overlay.answered") }));
}

function buzzRows(q, t) {
  const first = q.buzzes.length ? q.buzzes[0].at : 0;
  const rows = q.buzzes.map((b, i) => ({
    team: b.team,
    ranked: true,
    time: i === 0 ? "" : `+${seconds(b.at - first)}`,
    floor: q.floor === b.team && q.phase !== "closed" && q.phase !== "revealed",
    out: q.locked.includes(b.team),
    mark: mark(q.answers[b.team]),
  }));
  if (!rows.length && q.floor) rows.push({ team: q.floor, ranked: false, time: "", floor: true, mark: mark(q.answers[q.floor]) });
  for (const r of rows) r.state = r.floor ? t("overlay.answering") : r.out ? t("overlay.locked") : "";
  return rows;
}

function makeRow() {
  const row = withParts(el("div", "order-row"), {
    rank: "order-rank num",
    name: "order-name fit",
    state: "order-state",
    time: "order-time num",
    markIcon: "order-mark",
  });
  row.markIcon.innerHTML =
    '<svg class="icon-right" viewBox="0 0 24 24"><path d="M4 12.5l5 5L20 6.5"/></svg>' +
    '<svg class="icon-wrong" viewBox="0 0 24 24"><path d="M6 6l12 12M18 6L6 18"/></svg>';
  return row;
}
