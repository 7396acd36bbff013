// The season panel of the producer's controller: standings, bracket, the next stage to confirm and
// the correction of a played show's points.
// Only for a season's show. Redrawn when view.season changes, not on every patch; the correction
// form's choices survive updates. Open or folded as the producer left it.
import { points } from "/static/js/format.js";
import { esc } from "/static/js/show-client.js";
import { ask, errorText, said, t, toast } from "/controller/ui.js";

/**
 * Wire the season panel once; `view` returns the producer view now (or null), `cmd` sends a
 * command and reports a refusal. Returns `render()`, to call whenever the view changes.
 */
export function seasonPanel({ $, cmd, view }) {
  let seasonKey = "";
  let seasonPlayedKey = "";
  $("season").open = localStorage.getItem("showcaller.season-open") !== "0";
  $("season").addEventListener("toggle", () => localStorage.setItem("showcaller.season-open", $("season").open ? "1" : "0"));

  const seasonShows = () => view().season.bracket.flatMap((stage) => stage.shows);
  const seasonShow = (id) => seasonShows().find((s) => s.id === id);
  const stageTitle = (id) => (view().season.bracket.find((s) => s.id === id) || { title: id }).title;
  const pts = (value, decimals = view().show.decimals) => (value === null || value === undefined ? "" : points(value, decimals));
  const seasonName = (id) => (view().season.standings.find((r) => r.team === id) || { name: id }).name;

  /** The rules' line-ups of a proposal in words: "Chung kết 1: A, B, C · …". */
  function lineupsText(next) {
    const stage = view().season.bracket.find((s) => s.id === next.stage);
    return next.lineups.map((teams, i) => {
      const title = (stage && stage.shows[i] && stage.shows[i].title) || stageTitle(next.stage);
      return `${title}: ${teams.map(seasonName).join(", ")}`;
    }).join(" · ");
  }

  function renderSeason() {
    const season = view().season;
    $("season").hidden = !season;
    if (!season) { seasonKey = ""; return; }
    const key = JSON.stringify([season, view().teams.map((x) => x.id)]);
    if (key === seasonKey) return;
    seasonKey = key;
    renderSeasonNext(season.next[0]);
    const here = new Set(view().teams.map((x) => x.id));
    $("season-standings").innerHTML = season.standings.map((r) => `
      <li data-team="${esc(r.team)}" class="${r.status ? `st-${esc(r.status)}` : ""} ${here.has(r.team) ? "here" : ""}"
        title="${esc(r.name)} · ${esc(t("control.season_played", { n: r.played }))}">
        <span class="muted">${r.rank}</span><span class="name">${esc(r.name)}</span><span class="pts">${pts(r.points)}</span>
        <span class="tag">${r.status ? esc(t(`control.season_status.${r.status}`)) : ""}</span></li>`).join("");
    // Stages side by side, as on a bracket; a stage of many shows gets more room.
    $("season-bracket").innerHTML = season.bracket.map((stage) => `
      <div class="season-stage" data-grow="${Math.max(1, Math.ceil(stage.shows.length / 3))}">
        <h4>${esc(stage.title)}</h4>
        <div class="season-shows">${stage.shows.map(bracketShow).join("")}</div></div>`).join("");
    // Through the CSSOM: the CSP allows no style="" attribute in markup.
    for (const stage of $("season-bracket").querySelectorAll("[data-grow]")) stage.style.flex = `${stage.dataset.grow} 1 0`;
    renderSeasonForm();
  }

  function bracketShow(show) {
    const teams = show.teams.length ? `<ul>${show.teams.map((x) => `
      <li class="${x.result ? `res-${esc(x.result)}` : ""}" title="${x.result ? esc(t(`control.season_result.${x.result}`)) : ""}">
        <span>${esc(x.name)}${x.title ? ` <small class="muted">${esc(x.title)}</small>` : ""}</span><span class="pts">${pts(x.points, show.decimals ?? view().show.decimals)}</span></li>`).join("")}</ul>`
      : `<p class="muted small">${esc(t("control.season_tbd"))}</p>`;
    const proposed = !show.confirmed && show.teams.length ? `<p class="muted small">${esc(t("control.season_unconfirmed"))}</p>` : "";
    return `<div class="season-show ${esc(show.status)} ${show.confirmed ? "" : "proposed"}" data-show="${esc(show.id)}">
      <div class="head"><b>${esc(show.title)}</b><span class="chip">${esc(t(`control.season_show.${show.status}`))}</span></div>
      ${teams}${proposed}</div>`;
  }

  /** The first stage the rules propose: its line-ups, what it waits for, a draw to make, or a problem. */
  function renderSeasonNext(next) {
    let body = `<p class="muted">${esc(t("control.season_all_confirmed"))}</p>`;
    let summary = t("control.season_all_confirmed");
    let can = false;
    if (next) {
      const title = stageTitle(next.stage);
      if (next.lineups) {
        const stage = view().season.bracket.find((s) => s.id === next.stage);
        body = `<p class="muted small">${esc(t("control.season_proposed"))}</p><ul class="season-lineups">${next.lineups.map((teams, i) =>
          `<li><b>${esc((stage && stage.shows[i] && stage.shows[i].title) || title)}</b>: ${teams.map((x) => esc(seasonName(x))).join(", ")}</li>`).join("")}</ul>`;
        summary = t("control.season_to_confirm", { stage: title });
        can = true;
      } else if (next.draw.length) {
        body = `<p>${esc(t("control.season_draw", { teams: next.draw.map((g) => g.join(", ")).join(" · ") }))}</p>`;
        summary = t("control.season_to_confirm", { stage: title });
        can = true;
      } else if (next.rankings.length) {
        const stages = next.rankings.map(stageTitle).join(", ");
        body = `<p class="muted">${esc(t("control.season_waiting_ranking", { stages }))}</p>`;
        summary = t("control.season_waiting_for", { stage: title });
      } else if (next.waiting.length) {
        const shows = next.waiting.map((id) => (seasonShow(id) || { title: id }).title).join(", ");
        body = `<p class="muted">${esc(t("control.season_waiting", { shows }))}</p>`;
        summary = t("control.season_waiting_for", { stage: title });
      } else {
        body = `<p class="bad-text">${esc(said(next, "problem"))}</p>`;
        summary = t("control.season_blocked", { stage: title });
      }
      body = `<p class="season-stage-title" data-stage="${esc(next.stage)}"><b>${esc(title)}</b></p>${body}`;
    }
    // A correction made after a stage was confirmed can change who the rules send through.
    const groups = (lineups) => lineups.map((teams) => teams.map(seasonName).join(", ")).join(" · ");
    const conflicts = view().season.conflicts || [];
    const warnings = conflicts.map((c) => `<p class="bad-text season-conflict" data-stage="${esc(c.stage)}">⚠ ${esc(t("control.season_conflict",
      { stage: c.title, confirmed: groups(c.confirmed), rules: groups(c.rules) }))}</p>`).join("");
    if (conflicts.length) summary = `⚠ ${t("control.season_conflicts")} · ${summary}`;
    $("season-next").innerHTML = warnings + body;
    $("season-confirm").disabled = !can;
    $("season-confirm").hidden = !next;
    $("season-confirm-note").textContent = can ? t("control.season_confirm_note") : "";
    $("season-summary").textContent = summary;
    $("season-summary").dataset.pending = can || conflicts.length ? "1" : "0";
  }

  /** The played shows to correct, rebuilt only when they change so a half-filled form stays. */
  function renderSeasonForm() {
    const played = seasonShows().filter((s) => s.status === "done");
    const key = JSON.stringify(played.map((s) => [s.id, s.title, s.teams.map((x) => [x.team, x.name])]));
    if (key === seasonPlayedKey) return;
    seasonPlayedKey = key;
    const select = $("season-show");
    const chosen = select.value;
    select.innerHTML = played.length ? played.map((s) => `<option value="${esc(s.id)}">${esc(s.title)}</option>`).join("")
      : `<option value="">${esc(t("control.season_no_played"))}</option>`;
    // The show just played is the likeliest to be appealed.
    const here = played.find((s) => s.id === view().show.id);
    select.value = played.some((s) => s.id === chosen) ? chosen : (here || played[played.length - 1] || { id: "" }).id;
    for (const el of $("season-correct").elements) el.disabled = !played.length;
    fillSeasonTeams();
  }

  function fillSeasonTeams() {
    const show = seasonShow($("season-show").value);
    const select = $("season-team");
    const chosen = select.value;
    select.innerHTML = (show ? show.teams : []).map((x) => `<option value="${esc(x.team)}">${esc(x.name)}</option>`).join("");
    if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
  }

  function seasonError(id, ack) {
    $(id).hidden = ack.ok;
    $(id).textContent = ack.ok ? "" : errorText(ack.error);
  }

  $("season-show").addEventListener("change", fillSeasonTeams);

  $("season-confirm").addEventListener("click", async () => {
    const next = view() && view().season && view().season.next[0];
    if (!next) return;
    const title = stageTitle(next.stage);
    const asked = JSON.stringify(next);
    const question = next.lineups ? t("control.season_confirm_ask", { stage: title, teams: lineupsText(next) })
      : t("control.season_confirm_draw_ask", { stage: title, teams: next.draw.map((g) => g.join(", ")).join(" · ") });
    if (!(await ask(question))) return;
    // The server confirms what the rules say now: not if that moved while the dialog was open.
    const now = view().season && view().season.next[0];
    if (JSON.stringify(now) !== asked) return toast(t("control.season_changed"));
    const ack = await cmd("season_confirm", next.lineups ? { stage: next.stage, expect: next.lineups } : { stage: next.stage });
    seasonError("season-confirm-error", ack);
    if (ack.ok) toast(t("control.season_confirmed", { stage: title }), true);
  });

  $("season-correct").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!view() || !view().season) return;
    const show = $("season-show").value;
    const team = $("season-team").value;
    const points = Number($("season-points").value);  // empty: 0, which the server refuses in words
    const ack = await cmd("season_correct", { show, team, points, reason: $("season-reason").value });
    seasonError("season-correct-error", ack);
    if (!ack.ok) return;
    const played = seasonShow(show);
    toast(t("control.season_corrected", { points: pts(points), team: seasonName(team), show: played ? played.title : show }), true);
    $("season-points").value = "";
    $("season-reason").value = "";
  });

  return { render: renderSeason };
}
