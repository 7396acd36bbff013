// The obstacle board ("Vượt chướng ngại vật"): each row's letters as boxes (its answer once revealed),
// the picture under its tiles (a row answered right opens its tile; the centre tile opens with the final
// clue), the keyword's letter count and worth, the teams (those out greyed), and the clue on air. All of it
// is read from `segment.obstacle`; in a segment whose capabilities say `keyword` it takes the question's place.
import { plain } from "/static/js/format.js";
import { attr, el, fitName, keyed, text } from "../dom.js";

export class Obstacle {
  constructor(node, ctx) {
    this.t = ctx.t;
    const panel = el("div", "panel obstacle-card");
    const head = el("div", "card-head");
    this.round = el("div", "round-name fit");
    this.letters = el("div", "chip obstacle-letters");
    this.worth = el("div", "chip value");
    head.append(this.round, this.letters, this.worth);
    const body = el("div", "obstacle-body");
    this.rows = el("div", "obstacle-rows");
    this.keyword = makeRow("obstacle-keyword");
    text(this.keyword.label, ctx.t("overlay.obstacle.keyword"));
    const rows = el("div", "obstacle-grid");
    rows.append(this.rows, this.keyword);
    this.picture = el("div", "obstacle-picture");
    this.image = el("img", "obstacle-image");
    this.image.alt = "";
    this.tiles = el("div", "obstacle-tiles");
    // The centre tile opens on its own part of the picture: the row tiles under it stay closed.
    this.centre = el("div", "obstacle-centre");
    this.window = el("div", "obstacle-window");
    this.windowImage = el("img", "obstacle-window-image");
    this.windowImage.alt = "";
    this.window.append(this.windowImage);
    this.cover = el("div", "obstacle-tile centre", "★");
    this.centre.append(this.window, this.cover);
    this.picture.append(this.image, this.tiles, this.centre);
    body.append(rows, this.picture);
    this.teams = el("div", "obstacle-teams");
    this.clue = el("div", "obstacle-clue fit");
    this.clue.dataset.min = "0.55";
    panel.append(head, body, this.teams, this.clue);
    node.append(panel);
    this.panel = panel;
  }

  update(view) {
    const board = view.segment && view.segment.obstacle;
    if (!board) return false;
    const t = this.t;
    const q = view.question && view.question.segment === view.segment.id ? view.question : null;
    text(this.round, view.segment.title);
    text(this.letters, `${t("overlay.obstacle.keyword")} · ${fill(t("overlay.obstacle.letters"), { n: board.keyword.letters })}`);
    // A null in the view may arrive as a missing key (merge patches delete it): `== null` covers both.
    const worth = board.keyword.worth;
    text(this.worth, worth == null ? "" : fill(t("overlay.obstacle.worth"), { points: plain(worth) }));
    this.worth.hidden = worth == null;
    const widest = Math.max(board.keyword.letters, ...board.rows.map((r) => r.letters));
    this.panel.style.setProperty("--box", `${Math.min(44, Math.floor(490 / Math.max(widest, 1)) - 5)}px`);
    keyed(this.rows, board.rows, (r) => r.number, () => makeRow("obstacle-row"), (row, r) => {
      text(row.label, fill(t("overlay.obstacle.row"), { n: r.number }));
      boxes(row.boxes, r.letters, r.answer);
      attr(row, "data-state", r.solved ? "solved" : r.answer != null && r.played ? "missed" : r.played ? "played" : "hidden");
      row.classList.toggle("on-air", r.on_air);
    });
    boxes(this.keyword.boxes, board.keyword.letters, board.keyword.answer);
    attr(this.keyword, "data-state", board.keyword.found_by ? "solved" : board.over ? "missed" : "hidden");
    this.keyword.classList.toggle("on-air", board.final.on_air);
    this.image.hidden = !board.picture;
    const picture = board.picture ? `/show/media/${board.picture.split("/").map(encodeURIComponent).join("/")}` : null;
    if (picture) attr(this.image, "src", picture);
    if (picture) attr(this.windowImage, "src", picture);
    this.window.hidden = !picture;
    const columns = Math.max(1, Math.ceil(board.rows.length / 2));
    this.tiles.style.setProperty("--cols", String(columns));
    this.tiles.style.setProperty("--rows", String(board.rows.length > 1 ? 2 : 1));
    keyed(this.tiles, board.rows, (r) => r.number, () => el("div", "obstacle-tile"), (tile, r) => {
      text(tile, r.number);
      tile.classList.toggle("open", r.open);
    });
    this.cover.classList.toggle("open", board.final.open);
    const teams = view.teams || [];
    const floor = q && q.floor;
    keyed(this.teams, teams, (team) => team.id, makeTeam, (chip, team) => {
      fitName(chip.name, team.short_name || team.name);
      const out = board.out.includes(team.id);
      const state = board.keyword.found_by === team.id ? "found" : out ? "out" : floor === team.id ? "floor" : "";
      attr(chip, "data-state", state || null);
      text(chip.note, state === "out" ? t("overlay.obstacle.out") : state === "floor" ? t("overlay.answering") : "");
      chip.note.hidden = !chip.note.textContent;
    });
    const found = teams.find((team) => team.id === board.keyword.found_by);
    text(this.clue, found ? fill(t("overlay.obstacle.found"), { team: found.name }) : q ? q.text : "");
    this.clue.hidden = !this.clue.textContent;
    attr(this.clue, "data-state", found ? "found" : null);
    return true;
  }
}

/** A layer class that is `Layer` (the question card) but for a segment with a hidden keyword, where the board shows. */
export function orObstacle(Layer) {
  return class {
    constructor(node, ctx) {
      this.other = new Layer(node, ctx);
      this.otherPanel = node.lastElementChild;
      this.board = new Obstacle(node, ctx);
    }

    update(view) {
      const keyword = Boolean(view.segment && view.segment.capabilities && view.segment.capabilities.keyword);
      this.otherPanel.hidden = keyword;
      this.board.panel.hidden = !keyword;
      return keyword ? this.board.update(view) : this.other.update(view);
    }
  };
}

function fill(template, params) {
  return template.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

function makeRow(className) {
  const row = el("div", className);
  row.label = el("div", "obstacle-label");
  row.boxes = el("div", "obstacle-boxes");
  row.append(row.label, row.boxes);
  return row;
}

function boxes(container, count, answer) {
  // The answer's letters and digits, one per box (the server counts them the same way).
  const letters = answer == null ? [] : [...answer.normalize("NFC")].filter((ch) => /[\p{L}\p{N}]/u.test(ch));
  while (container.children.length < count) container.append(el("span", "obstacle-box"));
  while (container.children.length > count) container.lastElementChild.remove();
  [...container.children].forEach((box, index) => text(box, (letters[index] || "").toLocaleUpperCase("vi")));
}

function makeTeam() {
  const chip = el("div", "obstacle-team");
  chip.name = el("span", "obstacle-team-name");
  chip.note = el("span", "obstacle-team-note");
  chip.append(chip.name, chip.note);
  return chip;
}
