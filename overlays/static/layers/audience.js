// Audience poll or quiz: live bars with counts and percentages, the total, the correct answer
// and the quickest correct answerers once revealed, and the QR code and short address to join.
import { countTo, el, fitName, keyed, text } from "../dom.js";

export class Audience {
  constructor(node, ctx) {
    this.t = ctx.t;
    const panel = el("div", "panel poll-panel");
    const main = el("div", "poll-main");
    this.title = el("div", "round-name fit");
    this.text = el("div", "poll-text fit");
    this.text.dataset.min = "0.6";
    this.bars = el("div", "poll-bars");
    const foot = el("div", "poll-foot");
    this.total = el("span", "poll-total num");
    this.totalLabel = el("span", "poll-total-label", ctx.t("overlay.votes"));
    foot.append(this.total, this.totalLabel);
    this.winners = el("div", "poll-winners");
    this.winnersTitle = el("div", "winners-title", ctx.t("overlay.winners"));
    this.winnerList = el("div", "winner-list");
    this.winners.append(this.winnersTitle, this.winnerList);
    main.append(this.title, this.text, this.bars, foot, this.winners);
    const join = el("div", "join");
    const qr = el("img", "join-qr");
    qr.alt = "";
    qr.src = ctx.boot.join.qr;
    join.append(qr, el("div", "join-label", ctx.t("overlay.join")), el("div", "join-url fit", ctx.boot.join.short));
    panel.append(main, join);
    node.append(panel);
  }

  update(view) {
    const poll = currentPoll(view, this.t);
    if (!poll) return false;
    text(this.title, poll.title);
    text(this.text, poll.text);
    this.text.hidden = !poll.text;
    const counts = poll.tally ? poll.tally.counts : {};
    const total = poll.tally ? poll.tally.total : 0;
    const revealed = poll.answer !== null && poll.answer !== undefined;
    keyed(this.bars, poll.options, (o) => o.key, makeBar, (bar, o) => {
      const count = counts[o.key] || 0;
      const share = total ? count / total : 0;
      text(bar.letter, o.letter);
      fitName(bar.label, o.label, o.short);
      bar.fill.style.transform = `scaleX(${share})`;
      countTo(bar.count, count);
      text(bar.pct, `${Math.round(share * 100)} %`);
      bar.classList.toggle("correct", revealed && o.key === poll.answer);
      bar.classList.toggle("dim", revealed && o.key !== poll.answer);
    });
    countTo(this.total, total);
    keyed(this.winnerList, poll.winners, (w) => `${w.nickname}@${w.at}`, () => el("span", "chip winner-chip"), (chip, w) =>
      text(chip, w.nickname),
    );
    this.winners.hidden = !poll.winners.length;
    return true;
  }
}

/** The audience question or the team vote on air now, in one shape. */
function currentPoll(view, t) {
  const segment = view.segment;
  if (!segment) return null;
  const q = view.question;
  if (segment.round === "audience" && q && q.segment === segment.id) {
    return {
      title: `${t("overlay.poll")} · ${segment.title}`,
      text: q.text,
      options: Object.entries(q.options || {}).map(([key, label]) => ({ key, letter: key, label })),
      tally: q.tally,
      answer: q.answer,
      winners: q.phase === "revealed" ? q.winners : [],
    };
  }
  const judged = (view.judged || {})[segment.id];
  if (judged && judged.audience_share && judged.voting !== "idle") {
    return {
      title: t("overlay.poll"),
      text: segment.title,
      options: view.teams.map((team, i) => ({ key: team.id, letter: String(i + 1), label: team.name, short: team.short_name })),
      tally: judged.tally,
      answer: null,
      winners: [],
    };
  }
  return null;
}

function makeBar() {
  const bar = el("div", "bar");
  bar.letter = el("span", "bar-letter");
  bar.label = el("span", "bar-label fit");
  const track = el("span", "bar-track");
  bar.fill = el("span", "bar-fill");
  track.append(bar.fill);
  bar.count = el("span", "bar-count num");
  bar.pct = el("span", "bar-pct num");
  bar.append(bar.letter, bar.label, track, bar.count, bar.pct);
  return bar;
}
