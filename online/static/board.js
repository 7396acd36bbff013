// The hall screen's leaderboard: asks the server every few seconds (a projector page, not a phone), shows
// the top entrants and each unit's participation, and says so when the server cannot be reached.
import { $, t } from "./stage.js";

const query = new URLSearchParams(location.search);
const ROWS = Number(query.get("rows")) || (query.has("overlay") ? 5 : 10);
document.body.classList.toggle("overlay", query.has("overlay"));
const EVERY = 3000;
let version = -1;

const clock = (ms) => {
  const s = Math.round(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
};

function cell(text, small) {
  const td = document.createElement("td");
  td.textContent = text;
  if (small) {
    const note = document.createElement("small");
    note.textContent = small;
    td.append(note);
  }
  return td;
}

function draw(board) {
  $("registered").textContent = board.registered.toLocaleString();
  $("finished").textContent = board.finished.toLocaleString();
  const rows = board.standings.slice(0, ROWS).map((s) => {
    const tr = document.createElement("tr");
    tr.append(cell(s.rank), cell(s.name, s.unit), cell(s.correct), cell(clock(s.used_ms)), cell(s.total));
    return tr;
  });
  $("leaders").replaceChildren(...rows);
  $("no-leaders").hidden = rows.length > 0;
  const most = Math.max(1, ...board.participation.map((u) => u.registered));
  const units = [...board.participation].sort((a, b) => b.registered - a.registered || a.unit.localeCompare(b.unit));
  $("units").replaceChildren(
    ...units.slice(0, 14).map((u) => {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = u.unit;
      const count = document.createElement("b");
      count.textContent = t("quiz.board.unit_counts", { registered: u.registered, finished: u.finished });
      const meter = document.createElement("span");
      meter.className = "meter";
      const fill = document.createElement("i");
      fill.style.width = `${(100 * u.registered) / most}%`;
      meter.append(fill);
      li.append(name, count, meter);
      return li;
    }),
  );
}

async function poll() {
  try {
    const response = await fetch("/quiz/api/board");
    const board = await response.json();
    $("stale").hidden = true;
    if (board.ok && board.version !== version) {
      version = board.version;
      draw(board);
    }
  } catch {
    $("stale").hidden = false;
  }
  setTimeout(poll, EVERY);
}

poll();
