// The season (view.season, see docs/protocol.md): standings of every team, and the bracket from
// the qualifiers through the semi-finals to the final.
import { points } from "/static/js/format.js";
import { el, fitName, keyed, text, withParts } from "../dom.js";

/** The season's panel: its heading, the season's title, and `body` below. */
function seasonPanel(layer, node, ctx, heading, panelClass, body) {
  layer.t = ctx.t;
  const panel = el("div", `panel season-panel ${panelClass}`);
  const head = el("div", "card-head");
  layer.subtitle = el("div", "season-title fit");
  head.append(el("div", "round-name fit", ctx.t(heading)), layer.subtitle);
  panel.append(head, body);
  node.append(panel);
  return body;
}

export class Standings {
  constructor(node, ctx) {
    this.rows = seasonPanel(this, node, ctx, "overlay.standings", "", el("div", "standings-rows"));
  }

  update(view) {
    const season = view.season;
    if (!season || !season.standings || !season.standings.length) return false;
    text(this.subtitle, season.title || "");
    const rows = season.standings;
    this.rows.style.setProperty("--rows", String(rows.length > 10 ? Math.ceil(rows.length / 2) : rows.length));
    this.rows.classList.toggle("two-columns", rows.length > 10);
    keyed(this.rows, rows, (r) => r.team, makeStandingRow, (row, r) => {
      text(row.rank, r.rank);
      fitName(row.name, r.name, r.short_name);
      text(row.played, r.played === undefined || r.played === null ? "" : `${r.played} ${this.t("overlay.played")}`);
      text(row.points, points(r.points, view.show.decimals));
      text(row.status, r.status === "qualified" ? this.t("overlay.qualified") : r.status === "champion" ? this.t("overlay.champion") : "");
      row.dataset.status = r.status || "";
    });
    return true;
  }
}

function makeStandingRow() {
  return withParts(el("div", "standing-row"), {
    rank: "st-rank num",
    name: "st-name fit",
    status: "st-status",
    played: "st-played num",
    points: "st-points num",
  });
}

export class Bracket {
  constructor(node, ctx) {
    this.columns = seasonPanel(this, node, ctx, "overlay.bracket", "bracket-panel", el("div", "bracket-columns"));
  }

  update(view) {
    const season = view.season;
    if (!season || !season.bracket || !season.bracket.length) return false;
    text(this.subtitle, season.title || "");
    // A stage of many shows (the qualifiers) lays its cards out two abreast.
    const wide = (stage) => stage.shows.length > 4;
    this.columns.style.gridTemplateColumns = season.bracket.map((s) => (wide(s) ? "2fr" : "1fr")).join(" ");
    keyed(this.columns, season.bracket, (s) => s.id, makeStage, (col, stage) => {
      text(col.caption, stage.title);
      col.classList.toggle("wide", wide(stage));
      col.style.setProperty("--shows", String(stage.shows.length));
      keyed(col.shows, stage.shows, (s) => s.id, makeShow, (card, show) => {
        text(card.caption, show.title);
        const status = { live: "overlay.live", upcoming: "overlay.upcoming", ranked: "overlay.online", open: "overlay.online" }[show.status];
        text(card.status, status ? this.t(status) : "");
        card.dataset.status = show.status;
        keyed(card.teams, show.teams, (r) => r.team, makeBracketRow, (row, r) => {
          fitName(row.name, r.name, r.short_name);
          text(row.points, r.points === null || r.points === undefined ? "" : points(r.points, show.decimals ?? view.show.decimals));
          row.dataset.result = r.result || "";
          // Through an online ranking is no runner-up's place: its card says it is online.
          text(row.note, r.result === "advances" && !stage.online ? this.t("overlay.best_runner_up") : "");
        });
      });
    });
    return true;
  }
}

function makeStage() {
  const col = el("div", "stage-col");
  col.caption = el("div", "stage-title");
  col.shows = el("div", "stage-shows");
  col.append(col.caption, col.shows);
  return col;
}

function makeShow() {
  const card = el("div", "show-card");
  const head = el("div", "show-head");
  card.caption = el("span", "show-title fit");
  card.status = el("span", "show-status");
  head.append(card.caption, card.status);
  card.teams = el("div", "show-teams");
  card.append(head, card.teams);
  return card;
}

function makeBracketRow() {
  return withParts(el("div", "bracket-row"), { name: "br-name fit", note: "br-note", points: "br-points num" });
}
