// Lower third: a team (with its members), a member, a judge or a guest, by name and title.
import { attr, el, fitName, text } from "../dom.js";

export class LowerThird {
  constructor(node, ctx) {
    const panel = el("div", "panel strap");
    this.logo = el("img", "strap-logo");
    this.logo.alt = "";
    if (ctx.boot.logo) this.logo.src = ctx.boot.logo;
    else this.logo.hidden = true;
    const body = el("div", "strap-body");
    this.name = el("div", "strap-name fit");
    this.title = el("div", "strap-title fit");
    this.title.dataset.wrap = "auto"; // a long title takes two lines
    this.members = el("div", "strap-members fit");
    body.append(this.name, this.title, this.members);
    panel.append(this.logo, body);
    node.append(panel);
    this.panel = panel;
  }

  update(view) {
    const strap = view.lower_third;
    if (!strap) return false;
    const team = strap.kind === "team" ? (view.teams || []).find((t) => t.id === strap.subject) : null;
    // A team's strap says its whole name; its short name only where that cannot fit.
    fitName(this.name, strap.name, team && strap.name === team.name ? team.short_name : "");
    text(this.title, strap.title);
    const members = team ? team.members.map((m) => m.name).join(" · ") : "";
    text(this.members, members);
    this.members.hidden = !members;
    this.title.hidden = !strap.title;
    attr(this.panel, "data-kind", strap.kind);
    return true;
  }
}
