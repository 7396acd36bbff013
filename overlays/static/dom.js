// Small DOM helpers for the overlays: build once, then change only what changed (no layout
// thrash), and shrink text that would overflow its box.

/** An element with a class and optional text. */
export function el(tag, className = "", text = null) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== null) node.textContent = text;
  return node;
}

/** `node` with a span per part, in order, each kept as `node[name]`: `{rank: "st-rank num", ...}`. */
export function withParts(node, parts) {
  for (const [name, className] of Object.entries(parts)) {
    node[name] = el("span", className);
    node.append(node[name]);
  }
  return node;
}

const fitQueue = new Set();
let fitScheduled = false;

/** Set text only when it differs; a `.fit` element is re-fitted on the next frame. */
export function text(node, value) {
  const s = String(value ?? "");
  if (node.textContent !== s) {
    node.textContent = s;
    if (node.classList.contains("fit")) queueFit(node);
  }
  return node;
}

/** Set (or remove, with null) an attribute only when it differs. */
export function attr(node, name, value) {
  if (value === null || value === undefined || value === false) {
    if (node.hasAttribute(name)) node.removeAttribute(name);
  } else if (node.getAttribute(name) !== String(value)) node.setAttribute(name, String(value));
  return node;
}

export function queueFit(node) {
  fitQueue.add(node);
  if (!fitScheduled) {
    fitScheduled = true;
    requestAnimationFrame(fitAll);
  }
}

/** Re-fit every `.fit` element (e.g. once the web font has loaded). */
export function refitAll() {
  for (const node of document.querySelectorAll(".fit")) queueFit(node);
}

function fitAll() {
  fitScheduled = false;
  const nodes = [...fitQueue].filter((n) => n.isConnected);
  fitQueue.clear();
  const names = nodes.filter((n) => n.dataset.full !== undefined);
  const plain = nodes.filter((n) => n.dataset.full === undefined);
  // All writes first, then one read per element: one layout per step, not one per element.
  for (const n of plain) { n.style.fontSize = ""; n.classList.remove("wrapped"); }
  const unfit = shrink(plain);
  // A one-line box marked data-wrap="auto" that still overflows at its smallest may take two lines.
  const wrap = unfit.filter((n) => n.dataset.wrap === "auto");
  if (wrap.length) {
    for (const n of wrap) { n.style.fontSize = ""; n.classList.add("wrapped"); }
    shrink(wrap);
  }
  if (names.length) fitNames(withRows(names));
}

// Names in one row of a graphic (the scoreboard's cards, `data-row`) are set alike: if one needs the
// short name or a smaller size, every name of the row takes the same step at the same size, so a row
// never mixes a full name at 70 % with short names at full size. A row is fitted whole, whichever of
// its names changed.
function withRows(nodes) {
  const rows = new Set(nodes.map((n) => n.dataset.row).filter(Boolean));
  const more = [...rows].flatMap((row) => [...document.querySelectorAll(`[data-row="${row}"]`)]);
  return [...new Set([...nodes, ...more])].filter((n) => n.isConnected && n.dataset.full !== undefined);
}

function setAlike(rows, reached) {
  for (const members of rows.values()) {
    const hardest = Math.max(...members.map((n) => reached.get(n) ?? NAME_STEPS.length));
    if (hardest >= NAME_STEPS.length) continue; // some name is cut with an ellipsis: leave each as it is
    const step = NAME_STEPS[hardest];
    for (const n of members) {
      n.textContent = n.dataset[step.pick];
      n.style.fontSize = "";
      n.classList.toggle("wrapped", step.wrap);
    }
    shrink(members, step.min);
    const size = Math.min(...members.map((n) => parseFloat(getComputedStyle(n).fontSize)));
    for (const n of members) n.style.fontSize = `${size.toFixed(1)}px`;
  }
}

// How a name meets its box, tried in this order until it fits: the whole name on one line, shrunk
// down to the box's minimum (--fit-min, e.g. 70 %); the short name so; the whole name on two lines
// broken between words (never inside one: white-space wraps at spaces only, balanced); the short
// name on two lines; then, for a box too small for any of it, the short name smaller still.
const FLOOR = 0.45;
const NAME_STEPS = [
  { pick: "full", wrap: false },
  { pick: "short", wrap: false, alt: true },
  { pick: "full", wrap: true },
  { pick: "short", wrap: true, alt: true },
  { pick: "short", wrap: false, min: FLOOR },
  { pick: "short", wrap: true, min: FLOOR },
];

function fitNames(nodes) {
  const reached = new Map(); // name -> the index of the step it fits at
  const rows = new Map();
  for (const n of nodes.filter((x) => x.dataset.row)) rows.set(n.dataset.row, [...(rows.get(n.dataset.row) || []), n]);
  let todo = nodes;
  for (const [index, step] of NAME_STEPS.entries()) {
    const tried = todo.filter((n) => !step.alt || n.dataset.short !== n.dataset.full);
    if (!tried.length) continue;
    for (const n of tried) {
      n.textContent = n.dataset[step.pick];
      n.style.fontSize = "";
      n.classList.toggle("wrapped", step.wrap);
    }
    const unfit = new Set(shrink(tried, step.min));
    for (const n of tried) if (!unfit.has(n)) reached.set(n, index);
    todo = todo.filter((n) => !tried.includes(n) || unfit.has(n));
    if (!todo.length) break;
  }
  if (!todo.length) {
    setAlike(rows, reached);
    return;
  }
  // Still too long (a 60-letter name, no short name): cut at a word, with an ellipsis; never overflow.
  for (const n of todo) {
    const words = n.dataset.short.split(" ");
    while (overflows(n) && words.length > 1) {
      words.pop();
      n.textContent = `${words.join(" ")}\u2026`;
    }
    let rest = n.textContent;
    while (overflows(n) && rest.length > 1) {
      rest = rest.replace(/\u2026$/, "").slice(0, -1);
      n.textContent = `${rest}\u2026`;
    }
  }
}

/**
 * Put a team's or a person's name in its `.fit` box (dom.js fits it on the next frame, see
 * NAME_STEPS): `short` is used where the whole name does not fit on one line.
 */
export function fitName(node, name, short = "") {
  const full = String(name ?? "");
  const brief = String(short || full);
  if (node.dataset.full === full && node.dataset.short === brief && node.isConnected) return node;
  node.dataset.full = full;
  node.dataset.short = brief;
  if (!node.classList.contains("name-fit") && resized) resized.observe(node);
  node.classList.add("fit", "name-fit");
  node.textContent = full;
  queueFit(node);
  return node;
}

/** Shrink each node's font in steps down to its minimum until it fits; returns those that never did. */
function shrink(nodes, minimum = null) {
  const base = nodes.map((n) => parseFloat(getComputedStyle(n).fontSize));
  const min = nodes.map((n, i) => base[i] * (minimum ?? smallest(n)));
  const size = [...base];
  let over = nodes.map(overflows);
  for (let step = 0; step < 14 && over.some(Boolean); step++) {
    nodes.forEach((n, i) => {
      if (over[i] && size[i] > min[i]) {
        size[i] = Math.max(min[i], size[i] * 0.92);
        n.style.fontSize = `${size[i].toFixed(1)}px`;
      }
    });
    over = nodes.map((n, i) => overflows(n) && size[i] > min[i] + 0.01);
  }
  return nodes.filter(overflows);
}

/** The smallest share of its size a box's text may take: data-min, else the CSS's --fit-min, else half. */
function smallest(n) {
  const css = parseFloat(getComputedStyle(n).getPropertyValue("--fit-min"));
  return parseFloat(n.dataset.min || "") || css || 0.5;
}

// A name wider than its box by a pixel has lost part of a letter; a pixel of height is only the
// box's snapping to whole pixels at a fractional position (an auto-height box on a pad).
function overflows(n) {
  const slack = n.dataset.full === undefined ? 1 : 0;
  if (n.scrollWidth > n.clientWidth + slack || n.scrollHeight > n.clientHeight + 1) return true;
  return slack === 0 && n.classList.contains("wrapped") && lines(n) > 2; // a name takes two lines at most
}

const range = document.createRange();

/** How many lines a box's text takes (one client rect per line box of its text). */
function lines(n) {
  range.selectNodeContents(n);
  return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
}

// A name's box may change width without its text changing (a pad's score beside it, a rotated
// tablet): fit it again then. Its own font size never changes its width, so this cannot loop.
const widths = new WeakMap();
const resized = typeof ResizeObserver === "undefined" ? null : new ResizeObserver((entries) => {
  for (const entry of entries) {
    const width = Math.round(entry.contentRect.width);
    if (widths.get(entry.target) !== width) {
      if (widths.has(entry.target)) queueFit(entry.target);
      widths.set(entry.target, width);
    }
  }
});

/**
 * Keep `container`'s children in step with `items`: reuse the element of each key, create new
 * ones with `make(item)`, drop the rest, and update each with `update(node, item, index)`.
 */
export function keyed(container, items, key, make, update) {
  const old = new Map();
  for (const child of container.children) old.set(child.dataset.key, child);
  let before = container.firstElementChild;
  for (const [index, item] of items.entries()) {
    const k = String(key(item));
    let node = old.get(k);
    if (node) old.delete(k);
    else {
      node = make(item);
      node.dataset.key = k;
      node.classList.add("entering");
      requestAnimationFrame(() => requestAnimationFrame(() => node.classList.remove("entering")));
    }
    if (node !== before) container.insertBefore(node, before);
    else before = before.nextElementSibling;
    update(node, item, index);
  }
  for (const node of old.values()) node.remove();
}

/** A number counting up or down to its new value, with a flash; `data-value` holds the target. */
export function countTo(node, value, format = (v) => String(v), write = (n, s) => { n.textContent = s; }) {
  const target = Number(value);
  const first = node.dataset.value === undefined;
  const from = first ? target : Number(node.dataset.value);
  if (!first && from === target) return;
  node.dataset.value = String(target);
  if (first || document.hidden) { write(node, format(target)); return; }
  pulse(node);
  const start = performance.now();
  const whole = Number.isInteger(from) && Number.isInteger(target);
  const step = (now) => {
    if (node.dataset.value !== String(target)) return; // a newer change took over
    const t = Math.min(1, (now - start) / 700);
    const eased = 1 - (1 - t) ** 3;
    const v = from + (target - from) * eased;
    write(node, format(t >= 1 ? target : whole ? Math.round(v) : Math.round(v * 100) / 100));
    if (t < 1) requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}

/** A short scale-and-glow pulse (Web Animations: transform and opacity only, no reflow). */
export function pulse(node, scale = 1.18) {
  node.animate(
    [{ transform: "scale(1)" }, { transform: `scale(${scale})`, offset: 0.3 }, { transform: "scale(1)" }],
    { duration: 650, easing: "cubic-bezier(.2,.8,.2,1)" },
  );
}

/** Write a number with each digit in a cell of one width (the web font has no tabular figures). */
export function tabular(node, value) {
  const s = String(value);
  if (node.textContent === s) return;
  node.replaceChildren(...[...s].map((ch) => (ch >= "0" && ch <= "9" ? el("span", "dg", ch) : ch)));
}
