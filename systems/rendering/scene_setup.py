"""Scene-file parts owned by rendering: [environment] and [[shot]]."""

from __future__ import annotations

import numpy as np

from components.camera import Camera
from engine.errors import SceneError
from engine.render.frame import GroundParams
from engine.scene_schema import SceneContext, boolean, color, number, string, validate_table
from systems.rendering.view_settings import EntityNames, Environment, Shot, Timeline

ENVIRONMENT_RULES = {
    "background": color([0.62, 0.70, 0.80]),
    "ground": boolean(True),
    "ground_color": color([0.42, 0.42, 0.40]),
    "grid_color": color([0.30, 0.30, 0.29]),
    "grid_spacing": number(1.0, positive=True),
    "ground_height": number(0.0),
}
SHOT_RULES = {"name": string(None), "camera": string(required=True), "start": number(0.0, minimum=0)}


def apply_environment_and_shots(loader, document: dict) -> None:
    world = loader.world
    env = validate_table(document.get("environment", {}), ENVIRONMENT_RULES, "environment", SceneContext(loader.path))
    ground = None
    if env["ground"]:
        ground = GroundParams(height=env["ground_height"], color=np.array(env["ground_color"][:3], np.float32),
                              grid_color=np.array(env["grid_color"][:3], np.float32), grid_spacing=env["grid_spacing"])
    world.insert_resource(Environment(clear_color=np.array(env["background"][:3], np.float32), ground=ground))

    shots = document.get("shot", [])
    if not isinstance(shots, list):
        raise SceneError(loader.path, "'shot' must be an array of tables: write [[shot]]")
    timeline = Timeline()
    for index, table in enumerate(shots):
        ctx = SceneContext(loader.path)
        values = validate_table(table, SHOT_RULES, f"shot[{index}]", ctx)
        build = loader.by_name.get(values["camera"])
        if build is None:
            raise ctx.fail(f"shot[{index}].camera", f"no entity named '{values['camera']}'")
        if not world.has(build.entity, Camera):
            raise ctx.fail(f"shot[{index}].camera", f"entity '{values['camera']}' has no camera table")
        timeline.add(Shot(values["name"] or f"shot {index + 1}", values["start"], build.entity))
    world.insert_resource(timeline)
    world.insert_resource(EntityNames({b.name: b.entity for b in loader.builds}))
