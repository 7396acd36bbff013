// Countdown: the server's clock (offset learned by the client), the last seconds emphasised.
import { el, pulse, text } from "../dom.js";

const URGENT_MS = 5000;
const RING = 2 * Math.PI * 92;

export class Timer {
  constructor(node, ctx) {
    this.ctx = ctx;
    this.timer = null;
    const panel = el("div", "panel timer-face");
    panel.innerHTML = `<svg class="ring" viewBox="0 0 200 200" aria-hidden="true">
      <circle class="ring-track" cx="100" cy="100" r="92"/>
      <circle class="ring-left" cx="100" cy="100" r="92" stroke-dasharray="${RING}" stroke-dashoffset="0"/></svg>`;
    this.left = panel.querySelector(".ring-left");
    this.number = el("div", "timer-number num");
    panel.append(this.number);
    node.append(panel);
    this.panel = panel;
    this.shown = null;
    this.tick = this.tick.bind(this);
    this.frame = 0;
  }

  update(view) {
    const timer = view.timer;
    if (!timer || (!timer.duration_ms && !timer.running)) {
      this.timer = null;
      return false;
    }
    this.timer = timer;
    this.draw();
    if (timer.running && !this.frame) this.frame = requestAnimationFrame(this.tick);
    return true;
  }

  tick() {
    this.frame = 0;
    if (!this.timer || !this.timer.running) return;
    this.draw();
    if (this.ctx.remaining(this.timer) > 0) this.frame = requestAnimationFrame(this.tick);
  }

  draw() {
    const timer = this.timer;
    const left = this.ctx.remaining(timer);
    const secs = Math.ceil(left / 1000);
    const share = timer.duration_ms ? Math.max(0, Math.min(1, left / timer.duration_ms)) : 0;
    this.left.style.strokeDashoffset = String(RING * (1 - share));
    const urgent = timer.running && left > 0 && left <= URGENT_MS;
    this.panel.classList.toggle("urgent", urgent);
    this.panel.classList.toggle("paused", !timer.running && left > 0);
    this.panel.classList.toggle("done", left <= 0);
    if (secs !== this.shown) {
      text(this.number, secs);
      if (urgent && this.shown !== null) pulse(this.number, 1.25);
      this.shown = secs;
    }
  }
}
