"""Composition in Chromium: every look of every shipped show, on the program page, draws each layer
inside its zone's box and no two layers over each other."""

from __future__ import annotations

import shutil
from pathlib import Path

from server.app import Settings, create_app
from server.configs import load_show
from server.core.zones import OVERLAY_ZONES, ZONES, collisions
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_overlays import FULL, LAYERS_ON, POLL, SETTLE, WAIT, open_overlay
from tests.conftest import SHIPPED_SHOWS

ROOT = Path(__file__).resolve().parents[2]
SHOWS = SHIPPED_SHOWS

# Each visible layer: its box, its panel's box (what is drawn), and whether the panel was scaled into it.
BOXES = """() => [...document.querySelectorAll('.layer[data-on="1"]')].map((layer) => {
  const box = (r) => [r.left, r.top, r.right, r.bottom].map((v) => Math.round(v * 10) / 10);
  const drawn = [...layer.querySelectorAll("*")].map((n) => n.getBoundingClientRect())
    .filter((r) => r.width && r.height);
  const panel = layer.firstElementChild.getBoundingClientRect();
  const all = drawn.reduce((u, r) => ({ left: Math.min(u.left, r.left), top: Math.min(u.top, r.top),
    right: Math.max(u.right, r.right), bottom: Math.max(u.bottom, r.bottom) }), panel);
  return { layer: layer.dataset.layer, zone: layer.dataset.zone, box: box(layer.getBoundingClientRect()),
    panel: box(panel), content: box(all), scaled: layer.firstElementChild.style.transform };
})"""


def looks_of(path: Path) -> dict[str, tuple[str, ...]]:
    """Each different look of a show, named by the segment and look ids."""
    out: dict[tuple[str, ...], str] = {}
    for segment in load_show(path).rundown:
        for look in segment.looks:
            out.setdefault(tuple(sorted(look.overlays)), f"{segment.id}-{look.id}")
    return {name: overlays for overlays, name in out.items()}


def faults_of(name: str, layers: list[dict]) -> list[str]:
    faults = []
    for layer in layers:
        zone = ZONES[OVERLAY_ZONES[layer["layer"]]]
        want = [zone.x, zone.y, zone.x + zone.w, zone.y + zone.h]
        if layer["zone"] != OVERLAY_ZONES[layer["layer"]] or layer["box"] != want:
            faults.append(f"{name}: {layer['layer']} is laid out at {layer['box']}, its zone is {want}")
        left, top, right, bottom = layer["content"]
        if left < want[0] - 1 or top < want[1] - 1 or right > want[2] + 1 or bottom > want[3] + 1:
            faults.append(f"{name}: {layer['layer']} draws at {layer['content']}, outside its zone {want}")
    for i, a in enumerate(layers):
        for b in layers[i + 1 :]:
            (al, at, ar, ab), (bl, bt, br, bb) = a["content"], b["content"]
            if min(ar, br) - max(al, bl) > 1 and min(ab, bb) - max(at, bt) > 1:
                faults.append(f"{name}: {a['layer']} {a['content']} overlaps {b['layer']} {b['content']}")
    return faults


async def test_every_look_of_every_shipped_show_fits_its_zones(aiohttp_server, browser, tmp_path: Path) -> None:
    faults: list[str] = []
    shots = 0
    for path in SHOWS:
        folder = tmp_path / path.stem
        folder.mkdir()
        shutil.copy(path, folder / path.name)
        shutil.copytree(path.parent / "media", folder / "media")
        app = create_app(Settings(config_path=folder / path.name, db_path=folder / "show.db"))
        server = await aiohttp_server(app, host="127.0.0.1")
        context = await browser.new_context(viewport={"width": FULL[0], "height": FULL[1]})
        for name, overlays in looks_of(path).items():
            assert collisions(overlays) == [], name
            page = await open_overlay(
                context, f"http://127.0.0.1:{server.port}/overlay/program?preview=1&on={','.join(overlays)}", "preview"
            )
            shown = [o for o in overlays if await page.get_attribute(f'[data-layer="{o}"]', "data-empty") == "0"]
            await page.wait_for_function(LAYERS_ON, arg=shown, polling=POLL, timeout=WAIT)
            assert await page.evaluate(SETTLE), f"{name}: the page never settled"
            layers = await page.evaluate(BOXES)
            assert {layer["layer"] for layer in layers} == set(shown)
            faults += faults_of(f"{path.stem} {name}", layers)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / f"program-{path.stem}-{name}.png"), omit_background=True)
            assert page.problems == [], page.problems
            shots += 1
            await page.close()
        await context.close()
    assert shots >= 15
    assert not faults, "\n".join(faults)
