"""Resources that say what to draw from: output size, camera choice, shots, environment."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from engine.render.frame import GroundParams


@dataclass
class RenderSettings:
    width: int = 1280
    height: int = 720
    camera_override: int = -1  # entity; -1 = follow the timeline's shots
    particle_path: str = "auto"  # auto | gl | cpu (see engine.render.frame.RenderFrame)
    overlay_lines: list[str] = field(default_factory=list)

    @property
    def aspect(self) -> float:
        return self.width / max(self.height, 1)


@dataclass
class Environment:
    clear_color: np.ndarray = field(default_factory=lambda: np.array([0.62, 0.70, 0.80], np.float32))
    ground: GroundParams | None = field(default_factory=GroundParams)


@dataclass
class Shot:
    name: str
    start: float
    camera: int  # entity


@dataclass
class Timeline:
    """Shots in start order: which camera is live from which time."""

    shots: list[Shot] = field(default_factory=list)

    def add(self, shot: Shot) -> None:
        self.shots.append(shot)
        self.shots.sort(key=lambda s: s.start)

    def shot_at(self, time: float) -> Shot | None:
        if not self.shots:
            return None
        index = bisect.bisect_right([s.start for s in self.shots], time) - 1
        return self.shots[max(index, 0)]


@dataclass
class EntityNames:
    """Scene names <-> entity ids, fixed when the scene loads."""

    by_name: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        self._by_entity = {entity: name for name, entity in self.by_name.items()}

    def name_of(self, entity: int) -> str | None:
        return self._by_entity.get(entity)
