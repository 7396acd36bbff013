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
  // All writes first, then one read per element: one layout per step, not one per element.
  for (const n of nodes) { n.style.fontSize = ""; n.classList.remove("wrapped"); }
  const unfit = shrink(nodes);
  // A one-line box marked data-wrap="auto" that still overflows at its smallest may take two lines.
  const wrap = unfit.filter((n) => n.dataset.wrap === "auto");
  if (wrap.length) {
    for (const n of wrap) { n.style.fontSize = ""; n.classList.add("wrapped"); }
    shrink(wrap);
  }
}

/** Shrink each node's font in steps down to its minimum until it fits; returns those that never did. */
function shrink(nodes) {
  const base = nodes.map((n) => parseFloat(getComputedStyle(n).fontSize));
  const min = nodes.map((n, i) => base[i] * (parseFloat(n.dataset.min || "0.5")));
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

function overflows(n) {
  return n.scrollWidth > n.clientWidth + 1 || n.scrollHeight > n.clientHeight + 1;
}

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
export function countTo(node, value, format = (v) => String(v)) {
  const target = Number(value);
  const first = node.dataset.value === undefined;
  const from = first ? target : Number(node.dataset.value);
  if (!first && from === target) return;
  node.dataset.value = String(target);
  if (first || document.hidden) { node.textContent = format(target); return; }
  pulse(node);
  const start = performance.now();
  const whole = Number.isInteger(from) && Number.isInteger(target);
  const step = (now) => {
    if (node.dataset.value !== String(target)) return; // a newer change took over
    const t = Math.min(1, (now - start) / 700);
    const eased = 1 - (1 - t) ** 3;
    const v = from + (target - from) * eased;
    node.textContent = format(t >= 1 ? target : whole ? Math.round(v) : Math.round(v * 100) / 100);
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

/** Points as the audience reads them: Vietnamese decimal comma, at most two decimals. */
export function points(value, lang = document.documentElement.lang) {
  const n = Number(value ?? 0);
  return n.toLocaleString(lang === "en" ? "en-US" : "vi-VN", { maximumFractionDigits: 2 });
}
