"""A capture stage: the project's mannequin, posed and lit, rendered headless as a camera would see it.

Fidelity tests and the capture study render known poses and expressions here, run the
real trackers on the images and compare what comes back with what was posed. Two
framings: "body" (the whole figure, 3.2 m away, like a webcam across a room) and
"face" (a head-and-shoulders close-up).
"""

from __future__ import annotations

import numpy as np

from components.camera import Camera
from components.light import AmbientLight, DirectionalLight
from components.model import ModelInstance
from components.motion import LookAt
from components.transform import GlobalTransform, Transform
from engine.assets.library import AssetLibrary
from engine.math_kernels import quat_from_euler_degrees
from systems.animation.pose_pool import PosePool
from systems.animation.spawn_model import spawn_model

MANNEQUIN = "assets/characters/mannequin_a.glb"
FRAMINGS = {  # camera position, point looked at, focal length (mm)
    "body": ((0.0, 1.0, 3.2), (0.0, 0.95, 0.0), 35.0),
    "face": ((0.0, 1.62, 0.55), (0.0, 1.6, 0.0), 35.0),
}


class CaptureStage:
    """Renders one mannequin instance; `render(rotations=..., weights=...)` poses it first.

    rotations: {node name: local xyzw rotation} replacing the rest rotation of those nodes;
    weights: {morph target name: weight}. Nodes and targets not named stay at rest."""

    def __init__(self, framing: str = "body", size: tuple[int, int] = (640, 480), model_path: str = MANNEQUIN):
        from engine.cli.scene_session import HeadlessOutput, new_scene_app

        self.app = app = new_scene_app(size)
        world = app.world
        library = world.resource(AssetLibrary)
        self.model = library[library.load(model_path)]
        self.entity = spawn_model(world, library.load(model_path), Transform())
        eye, target, focal = FRAMINGS[framing]
        world.spawn(Transform(translation=np.array(eye)), GlobalTransform(), Camera(focal_length_mm=focal),
                    LookAt(point=np.array(target)))
        world.spawn(Transform(rotation=quat_from_euler_degrees((-40, 20, 0))), GlobalTransform(), DirectionalLight())
        world.spawn(Transform(), GlobalTransform(), AmbientLight())
        self.output = HeadlessOutput.attach(app, size)
        self.pool = world.resource(PosePool)
        self.node_index = {node.name: i for i, node in enumerate(self.model.asset.nodes)}
        self._time = 0.0

    def pose(self, rotations: dict[str, np.ndarray] | None = None, weights: dict[str, float] | None = None) -> None:
        offset = int(self.app.world.get(self.entity, ModelInstance.pose_offset))
        count = self.model.node_count
        self.pool.rotation[offset : offset + count] = self.model.rest_rotation
        for name, rotation in (rotations or {}).items():
            self.pool.rotation[offset + self.node_index[name]] = rotation
        base = int(self.app.world.get(self.entity, ModelInstance.weight_offset))
        self.pool.weights[base : base + self.model.weight_count] = self.model.rest_weights
        for name, weight in (weights or {}).items():
            self.pool.weights[base + self.morph_weight_index(name)] = weight

    def morph_weight_index(self, target_name: str) -> int:
        """Index of a morph target's weight within the instance's weights."""
        for node_index, node in enumerate(self.model.asset.nodes):
            if node.mesh is None or self.model.weight_offsets[node_index] < 0:
                continue
            names = self.model.asset.meshes[node.mesh].target_names
            if target_name in names:
                return int(self.model.weight_offsets[node_index]) + names.index(target_name)
        raise KeyError(f"{self.model.asset.path} has no morph target {target_name!r}")

    def render(self, rotations=None, weights=None) -> np.ndarray:
        """(H, W, 3) uint8 RGB of the posed mannequin."""
        self.pose(rotations, weights)
        self._time += 1.0 / 30.0  # frames advance so every system runs; the pose itself is static
        return np.ascontiguousarray(self.output.frame_at(self.app, self._time))

    def release(self) -> None:
        self.output.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()
