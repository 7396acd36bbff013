"""Producer command -> the overlay's DOM in real headless Chromium: p50/p99/max/mean over 200 commands.

Run: python bench/overlay_latency.py [--commands 200] [--warmup 10] [--gap 20 50]
The server runs as its own process (as on air) on a temp copy of the demo show. The producer is a
python-socketio client on /control; the overlay is /overlay/scoreboard in Debian's Chromium
(``SHOWCALLER_CHROMIUM``, default /usr/bin/chromium) at 1920x1080, with the scoreboard put on air.
A MutationObserver on the team's score records when ``data-value`` changes (set as the patch
arrives; the visible number then counts up over 0.7 s), when the next animation frame starts, and
when that frame's rendering work is done. Send times are taken in Python, DOM times in the page,
both on this machine's wall clock; the offset between the two is measured and printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import percentile  # noqa: E402
from tests.processes import free_port, stop, until_healthy  # noqa: E402

DEMO = ROOT / "show_configs" / "quang-nam-2024-qualifier.yaml"
CHROMIUM = os.environ.get("SHOWCALLER_CHROMIUM", "/usr/bin/chromium")
TOKEN = "bench-producer-token"
TEAM = "tam-ky"
SCORE = f'.team-card[data-key="{TEAM}"] .team-score'
# As tests/browser: no sandbox and no GPU (as root, in a container), and no background chatter.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]

# In the page: for each change of the score's data-value, the time of the change, the start of the
# next animation frame, and the end of that frame's main-thread rendering (a message posted from
# the rAF callback runs after style, layout and paint). Times on the page's wall clock, in ms.
OBSERVE = """(selector) => {
  const node = document.querySelector(selector);
  const wall = () => performance.timeOrigin + performance.now();
  const seen = (window.__benchSeen = []);
  new MutationObserver(() => {
    const entry = { value: Number(node.dataset.value), dom: wall(), frame: null, vsync: null, rendered: null };
    seen.push(entry);
    requestAnimationFrame((stamp) => {
      entry.frame = wall();
      entry.vsync = performance.timeOrigin + stamp;
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { entry.rendered = wall(); };
      channel.port2.postMessage(null);
    });
  }).observe(node, { attributes: true, attributeFilter: ["data-value"] });
}"""
RENDERED = "(value) => window.__benchSeen.some((e) => e.value === value && e.rendered !== null)"


def copy_show(tmp: Path) -> Path:
    """The demo config and its media in a temp folder, so the bench never touches the real ones."""
    shutil.copytree(DEMO.parent / "media", tmp / "media")
    return Path(shutil.copy2(DEMO, tmp / DEMO.name))


def start_server(config: Path, db: Path, port: int, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "server", "run", str(config), "--db", str(db), f"--port={port}", "--host=127.0.0.1"],
            cwd=ROOT,
            env={**os.environ, "SHOWCALLER_TOKEN_PRODUCER": TOKEN},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def wait_healthy(proc: subprocess.Popen, port: int, log: Path) -> None:
    await until_healthy(f"http://127.0.0.1:{port}", proc, log)


async def command(producer: socketio.AsyncClient, name: str, payload: dict, tolerated: str = "") -> dict:
    ack = await producer.call(name, payload, namespace="/control", timeout=10)
    if not ack["ok"] and ack["error"]["code"] != tolerated:
        raise SystemExit(f"{name} refused: {ack}")
    return ack


async def clock_offset(page, rounds: int = 15) -> tuple[float, float]:
    """Page wall clock minus Python's, in ms, from the quickest of a few round trips; and that round trip."""
    best = (0.0, float("inf"))
    for _ in range(rounds):
        before = time.time() * 1000
        page_now = await page.evaluate("performance.timeOrigin + performance.now()")
        after = time.time() * 1000
        if after - before < best[1]:
            best = (page_now - (before + after) / 2, after - before)
    return best


async def measure(browser, port: int, commands: int, warmup: int, gap: tuple[float, float]) -> None:
    url = f"http://127.0.0.1:{port}"
    producer = socketio.AsyncClient()
    await producer.connect(url, namespaces=["/control"], auth={"token": TOKEN}, transports=["websocket"])
    try:
        await command(producer, "start_show", {}, tolerated="phase")
        await command(producer, "set_overlay", {"overlay": "scoreboard", "visible": True}, tolerated="rule")
        context = await browser.new_context(viewport={"width": 1920, "height": 1080})
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"{url}/overlay/scoreboard")
        await page.wait_for_selector('body[data-status="live"]', state="attached")
        await page.wait_for_selector(f'[data-layer="scoreboard"][data-on="1"] {SCORE}[data-value]')
        score = float(await page.get_attribute(SCORE, "data-value"))
        await page.evaluate(OBSERVE, SCORE)
        offset_before = await clock_offset(page)

        pause = random.Random(7)
        sent: list[float] = []
        acked: list[float] = []
        for i in range(warmup + commands):
            score += 1
            start = time.time() * 1000
            await command(producer, "adjust_score", {"team": TEAM, "points": 1, "reason": f"bench {i}"})
            acked.append(time.time() * 1000 - start)
            sent.append(start)
            await page.wait_for_function(RENDERED, arg=score, timeout=10_000)
            # Commands apart, so none waits behind another; a random pause, so sends don't lock to
            # one phase of Chromium's 60 Hz frame clock (polled by wait_for_function).
            await asyncio.sleep(pause.uniform(*gap) / 1000)
        seen = await page.evaluate("window.__benchSeen")
        offset_after = await clock_offset(page)
    finally:
        await producer.disconnect()

    if len(seen) != len(sent):
        raise SystemExit(f"{len(sent)} commands sent but the page saw {len(seen)} score changes")
    print(
        f"producer command -> overlay DOM (Chromium {browser.version}, 1920x1080), {commands} commands "
        f"after {warmup} warm-up, {gap[0]:g}-{gap[1]:g} ms apart"
    )
    print_table(sent[warmup:], acked[warmup:], seen[warmup:])
    print(
        "clocks: send = Python time.time() (CLOCK_REALTIME); page = performance.timeOrigin + performance.now()\n"
        "        (timeOrigin from the wall clock at navigation, then Chromium's monotonic clock, coarsened)\n"
        f"        page - python offset {offset_before[0]:+.2f} ms before, {offset_after[0]:+.2f} ms after "
        f"(best round trips {offset_before[1]:.2f} / {offset_after[1]:.2f} ms); latencies not corrected\n"
        "        'rendered' = main-thread style/layout/paint of that frame done; compositing and display come after\n"
        "        'rAF timestamp' is the frame's start as Chromium reports it and may precede the change"
    )
    if errors:
        print(f"page errors: {errors}")


def print_table(sent: list[float], acked: list[float], seen: list[dict]) -> None:
    def since_send(key: str) -> list[float]:
        return [e[key] - s for s, e in zip(sent, seen, strict=True)]

    report("command -> ACK (producer)", acked)
    report("command -> overlay DOM (data-value)", since_send("dom"))
    report("command -> next frame (rAF runs)", since_send("frame"))
    report("command -> frame rendered (main)", since_send("rendered"))
    report("DOM -> next frame (rAF runs)", [e["frame"] - e["dom"] for e in seen])
    report("DOM -> rAF timestamp (vsync)", [e["vsync"] - e["dom"] for e in seen])
    dom, frame = sorted(since_send("dom")), sorted(since_send("frame"))
    print(
        f"summary: producer command -> overlay DOM (Chromium), {len(seen)} commands: p50 {percentile(dom, 50):.1f} ms, "
        f"p99 {percentile(dom, 99):.1f} ms, max {dom[-1]:.1f} ms; -> next frame p50 {percentile(frame, 50):.1f} ms, "
        f"p99 {percentile(frame, 99):.1f} ms, max {frame[-1]:.1f} ms"
    )


def report(label: str, latencies: list[float]) -> None:
    values = sorted(latencies)
    print(
        f"  {label:<38} p50 {percentile(values, 50):7.2f} ms   p99 {percentile(values, 99):7.2f} ms   "
        f"max {values[-1]:7.2f} ms   mean {statistics.fmean(values):7.2f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument(
        "--gap", type=float, nargs=2, default=(20, 50), metavar=("MIN", "MAX"), help="ms before each command"
    )
    args = parser.parse_args()
    if args.commands < 1 or args.warmup < 0 or not 0 <= args.gap[0] <= args.gap[1]:
        raise SystemExit("expected --commands >= 1, --warmup >= 0 and --gap MIN MAX with 0 <= MIN <= MAX")
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set SHOWCALLER_CHROMIUM)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        raise SystemExit("playwright is not installed (pip install -e '.[test]')") from None

    # A SIGTERM cancels the run like Ctrl-C does, so the server and the browser are still stopped.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    with tempfile.TemporaryDirectory(prefix="showcaller-bench-") as tmp:
        config = copy_show(Path(tmp))
        port = free_port()
        log = Path(tmp) / "server.log"
        server = start_server(config, Path(tmp) / "bench.db", port, log)
        try:
            await wait_healthy(server, port, log)
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    await measure(browser, port, args.commands, args.warmup, args.gap)
                finally:
                    await browser.close()
        finally:
            stop(server)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C or SIGTERM, after the cleanup
        raise SystemExit("interrupted") from None
