// Judges' scores revealed: the team just revealed, each judge's score per criterion and in total,
// the round result; below, every team's result so far.
import { points as format, plain } from "/static/js/format.js";
import { countTo, el, fitName, keyed, text, withParts } from "../dom.js";

export class Judges {
  constructor(node, ctx) {
    this.t = ctx.t;
    this.focus = null;
    this.seen = new Set();
    this.segmentId = null;
    const panel = el("div", "panel judges-panel");
    const head = el("div", "card-head");
    this.title = el("div", "round-name fit");
    this.team = el("div", "judges-team fit");
    head.append(this.title);
    this.table = el("div", "judges-table");
    this.result = el("div", "judges-result");
    this.resultLabel = el("div", "result-label", ctx.t("overlay.result"));
    this.resultValue = el("div", "result-value num");
    this.share = el("div", "result-share");
    this.result.append(this.resultLabel, this.resultValue, this.share);
    const body = el("div", "judges-body");
    const left = el("div", "judges-left");
    left.append(this.team, this.table);
    body.append(left, this.result);
    this.strip = el("div", "judges-strip");
    panel.append(head, body, this.strip);
    node.append(panel);
    this.panel = panel;
  }

  update(view) {
    const segmentId = pickSegment(view);
    if (!segmentId) return false;
    const j = view.judged[segmentId];
    const segment = view.rundown.find((s) => s.id === segmentId);
    if (segmentId !== this.segmentId) {
      this.segmentId = segmentId;
      this.seen = new Set(j.revealed);
      this.focus = null;
    }
    const fresh = j.revealed.filter((team) => !this.seen.has(team));
    this.seen = new Set(j.revealed);
    const order = view.teams.map((t) => t.id).filter((id) => j.revealed.includes(id));
    if (fresh.length === 1) this.focus = fresh[0];
    else if (fresh.length > 1 || !order.includes(this.focus)) this.focus = order[order.length - 1] || null;
    text(this.title, `${this.t("overlay.judges")} · ${segment ? segment.title : ""}`);
    const decimals = view.show.decimals;
    const points = (v) => format(v, decimals);
    const teams = new Map(view.teams.map((t) => [t.id, t]));
    this.panel.classList.toggle("waiting", !this.focus);
    const focus = teams.get(this.focus);
    if (focus) fitName(this.team, focus.name, focus.short_name);
    else fitName(this.team, this.t("overlay.not_revealed"));
    this.renderTable(view, j, points);
    if (this.focus) countTo(this.resultValue, j.results[this.focus] ?? 0, points);
    else {
      delete this.resultValue.dataset.value; // the next reveal shows its result at once
      text(this.resultValue, "–");
    }
    text(this.share, j.audience_share ? `${this.t("overlay.audience_share")}: ${Math.round(j.audience_share * 100)} %` : "");
    this.share.hidden = !j.audience_share;
    keyed(this.strip, view.teams, (t) => t.id, makeChip, (chip, t) => {
      fitName(chip.name, t.name, t.short_name);
      const shown = j.revealed.includes(t.id);
      text(chip.value, shown ? points(j.results[t.id] ?? 0) : "–");
      chip.classList.toggle("focus", t.id === this.focus);
      chip.classList.toggle("pending", !shown);
    });
    return true;
  }

  renderTable(view, j, points) {
    const judges = view.judges;
    const rows = [{ id: "__head" }, ...j.criteria, { id: "__total" }];
    this.table.style.setProperty("--judges", String(judges.length));
    keyed(this.table, rows, (r) => r.id, makeRow, (row, r) => {
      const cells = row.cells;
      while (cells.length < judges.length) {
        const cell = el("span", "jcell num fit");
        row.append(cell);
        cells.push(cell);
      }
      if (r.id === "__head") {
        text(row.label, "");
        judges.forEach((judge, i) => fitName(cells[i], judge.name));
        row.className = "jrow jhead";
        return;
      }
      const total = r.id === "__total";
      row.className = total ? "jrow jtotal" : "jrow";
      text(row.label, total ? this.t("overlay.total") : `${r.name} (${plain(r.max)})`);
      judges.forEach((judge, i) => {
        const byTeam = (j.scores[judge.id] || {})[this.focus];
        let value = "";
        if (byTeam) value = total ? points(Object.values(byTeam).reduce((a, b) => a + b, 0)) : points(byTeam[r.id]);
        text(cells[i], value);
      });
    });
  }
}

/** The judged segment on air, else the last one with any score revealed. */
function pickSegment(view) {
  const judged = view.judged || {};
  if (view.segment && judged[view.segment.id]) return view.segment.id;
  const done = view.rundown.filter((s) => judged[s.id] && judged[s.id].revealed.length);
  return done.length ? done[done.length - 1].id : null;
}

function makeRow() {
  const row = el("div", "jrow");
  row.label = el("span", "jlabel fit");
  row.cells = [];
  row.append(row.label);
  return row;
}

function makeChip() {
  return withParts(el("div", "chip result-chip"), { name: "chip-name fit", value: "chip-value num" });
}
