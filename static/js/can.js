// What a page may offer now, read from its view: `view.can` is what the server's rules would accept
// (asked of them at the view's revision), `view.can_timed` the entries a running timer ends. A page
// greys a timed entry out itself when its countdown reaches 0, before the server's expiry arrives.
// Protocol: docs/protocol.md ("What a role can do now").
import { timeUp } from "/static/js/timer.js";

/**
 * Whether `key` is possible now: for a yes-or-no key, its value; for a list key (the teams a pad
 * command may be sent for), whether it holds `id`. `now` is the server's clock (ShowClient.serverNow()).
 * A view without `can` (an older server) offers nothing it does not state.
 */
export function allowed(view, key, { id = undefined, now = undefined } = {}) {
  const can = view && view.can;
  if (!can || !(key in can)) return false;
  const value = can[key];
  const yes = Array.isArray(value) ? id !== undefined && value.includes(id) : Boolean(value);
  if (!yes) return false;
  const timed = (view.can_timed || []).includes(key);
  return !(timed && now !== undefined && timeUp(view.timer, now));
}
