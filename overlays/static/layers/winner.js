// Winner card: the team on top when the show ends (while it runs: the leader; a tie says so).
import { points } from "/static/js/format.js";
import { countTo, el, fitName, text } from "../dom.js";

export class Winner {
  constructor(node, ctx) {
    this.t = ctx.t;
    const panel = el("div", "panel winner-card");
    this.logo = el("img", "winner-logo");
    this.logo.alt = "";
    if (ctx.boot.logo) this.logo.src = ctx.boot.logo;
    else this.logo.hidden = true;
    this.label = el("div", "winner-label");
    this.name = el("div", "winner-name fit");
    this.unit = el("div", "winner-unit fit");
    this.members = el("div", "winner-members fit");
    this.score = el("div", "winner-score num");
    panel.append(this.logo, this.label, this.name, this.unit, this.members, this.score);
    node.append(panel);
    this.panel = panel;
  }

  update(view) {
    const top = (view.standings || []).filter((s) => s.rank === 1);
    if (!top.length) return false;
    const teams = top.map((s) => view.teams.find((t) => t.id === s.team)).filter(Boolean);
    const tied = teams.length > 1;
    const ended = view.phase === "ended";
    text(this.label, this.t(tied ? "overlay.tied" : ended ? "overlay.winner" : "overlay.leader"));
    fitName(this.name, teams.map((t) => t.name).join(" · "), teams.map((t) => t.short_name).join(" · "));
    text(this.unit, tied ? "" : teams[0].unit);
    text(this.members, tied ? "" : teams[0].members.map((m) => m.name).join(" · "));
    countTo(this.score, top[0].points, (v) => `${points(v, view.show.decimals)} ${this.t("common.points")}`);
    this.panel.classList.toggle("ended", ended);
    return true;
  }
}
