// The time left on a view's timer: the one formula every page uses (the same as Timer.remaining in
// server/core/state.py). A timer is {duration_ms, remaining_ms, started_at, running}; `now` is the
// server's clock in ms (ShowClient.serverNow(), or the overlay's own clock).

/** Milliseconds left on `timer` at server time `now` (0 at the least). */
export function timeLeft(timer, now) {
  if (!timer) return 0;
  if (!timer.running) return timer.remaining_ms;
  return Math.max(0, timer.remaining_ms - Math.max(0, now - timer.started_at));
}

/** Whether a running countdown has reached 0 at `now` (as Timer.expired: a stopped timer never has). */
export function timeUp(timer, now) {
  return Boolean(timer && timer.running) && timeLeft(timer, now) <= 0;
}
