"""``python -m server obs-setup``: create (or update) in OBS what the show needs, idempotently.

Every scene the rundown names, and in each a browser source per overlay pointing at this
server's overlay pages at 1920×1080 (hidden; the show shows them when they go on air). An OBS
without the browser source (Debian's build) gets everything else and a clear word about it.
"""

from __future__ import annotations

from server.core.config import OVERLAYS, ShowConfig
from server.obs.client import ObsClient, ObsRefused
from server.obs.plan import overlay_source, scenes_needed

WIDTH, HEIGHT = 1920, 1080


def obs_setup(config: ShowConfig, client: ObsClient, base_url: str) -> list[str]:
    """Bring OBS in line with the show; one line per thing done or found, for the operator."""
    report: list[str] = []
    scenes = scenes_needed(config)
    if not scenes:
        report.append("the rundown names no OBS scenes (rundown[].obs.scene); nothing to create")
    existing = {s["sceneName"] for s in client.call("GetSceneList")["scenes"]}
    for scene in scenes:
        if scene in existing:
            report.append(f"scene '{scene}': already there")
        else:
            client.call("CreateScene", sceneName=scene)
            report.append(f"scene '{scene}': created")
    kinds = client.call("GetInputKindList", unversioned=True)["inputKinds"]
    if "browser_source" not in kinds:
        report.append(
            "this OBS has no browser source (the obs-browser plugin; Debian's obs-studio package lacks it): "
            "overlays were not added. Install OBS from obsproject.com, or add browser sources by hand: "
            + ", ".join(f"{base_url}/overlay/{o}" for o in OVERLAYS)
        )
        return report
    inputs = {i["inputName"] for i in client.call("GetInputList")["inputs"]}
    for overlay in OVERLAYS:
        name = overlay_source(overlay)
        settings = {"url": f"{base_url.rstrip('/')}/overlay/{overlay}", "width": WIDTH, "height": HEIGHT}
        if name in inputs:
            client.call("SetInputSettings", inputName=name, inputSettings=settings)
            report.append(f"browser source '{name}': updated ({settings['url']})")
        elif scenes:
            client.call(
                "CreateInput",
                sceneName=scenes[0],
                inputName=name,
                inputKind="browser_source",
                inputSettings=settings,
                sceneItemEnabled=False,
            )
            report.append(f"browser source '{name}': created ({settings['url']})")
        for scene in scenes:
            try:
                client.call("GetSceneItemId", sceneName=scene, sourceName=name)
            except ObsRefused:
                client.call("CreateSceneItem", sceneName=scene, sourceName=name, sceneItemEnabled=False)
                report.append(f"  added to scene '{scene}' (hidden until on air)")
    return report
