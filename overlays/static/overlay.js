// An overlay page: one or all layers (the "program" overlay), driven by the /overlay namespace,
// or by sample data with ?preview=1. A lost connection keeps the last picture; the client
// reconnects and resyncs by itself, and layers only change what changed (no flash).
import { ShowClient } from "/static/js/show-client.js";
import { timeLeft } from "/static/js/timer.js";
import { refitAll } from "./dom.js";
import { LAYERS } from "./layers/index.js";

const boot = JSON.parse(document.getElementById("boot").textContent);
const strings = boot.strings;
const ctx = {
  boot,
  t: (key) => strings[key] ?? key,
  now: () => Date.now(),
  remaining: (timer) => timeLeft(timer, ctx.now()),
};

function fitStage() {
  document.documentElement.style.setProperty("--scale", String(window.innerWidth / 1920));
}
fitStage();
window.addEventListener("resize", fitStage);

const layers = boot.layers.map((name) => {
  const node = document.querySelector(`[data-layer="${name}"]`);
  const layer = new LAYERS[name](node, ctx);
  return { name, node, layer };
});

// A panel larger than its zone's box is scaled down into it: an overlay never draws outside its zone
// (server/core/zones.py). The observer sees layout sizes, which the scale does not change.
const fitZone = new ResizeObserver((entries) => {
  for (const { target } of entries) {
    const layer = target.parentElement;
    const scale = Math.min(1, layer.clientWidth / target.offsetWidth, layer.clientHeight / target.offsetHeight);
    target.style.transform = scale < 0.999 ? `scale(${scale.toFixed(4)})` : "";
  }
});
for (const { node } of layers) if (node.firstElementChild) fitZone.observe(node.firstElementChild);

function show(view, only = null) {
  for (const { name, node, layer } of layers) {
    if (only && only !== name) continue;
    let empty = true;
    try {
      empty = layer.update(view) === false;
    } catch (err) {
      console.error(`overlay ${name}:`, err); // one broken layer must not blank the others
    }
    const on = !empty && (boot.always || (view.on_air || []).includes(name));
    node.dataset.empty = empty ? "1" : "0";
    node.dataset.on = on ? "1" : "0";
  }
  document.body.dataset.rev = String(client ? client.rev : 0);
}

let client = null;
if (boot.preview) {
  document.body.dataset.status = "preview";
  const started = Date.now();
  const render = () => {
    for (const { name } of layers) {
      const view = boot.preview[name];
      // The sample countdown restarts every 40 s so designers see its last seconds too.
      view.timer = { ...view.timer, started_at: started + Math.floor((Date.now() - started) / 40000) * 40000 };
      show(view, name);
    }
  };
  render();
  setInterval(render, 1000);
} else {
  client = new ShowClient("/overlay", boot.monitor ? { monitor: true } : {}, {
    onView: (view) => show(view),
    onStatus: (status) => { document.body.dataset.status = status; },
  });
  ctx.now = () => client.serverNow();
}

document.fonts.ready.then(refitAll);
document.fonts.addEventListener("loadingdone", refitAll);
