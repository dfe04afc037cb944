"""Scene files: human-editable TOML -> entities, shots and environment in a World.

    [scene]            name, duration (s), fps; domains add keys (particles: particle_budget)
    [environment]      sky/background colour, ground and grid
    [[entity]]         name = "...", parent = "...", then component tables:
                       transform, model, shape, animation, path, camera, look_at,
                       directional_light, ambient_light, point_light
    [[shot]]           name, camera (an entity name), start (s)

Asset paths are relative to the scene file. Every problem is a SceneError
naming the file, the entity and the field.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import InputError, SceneError
from engine.scene_schema import SceneComponentType, SceneContext, validate_table

ENTITY_SCALARS = ("name", "parent")
TOP_LEVEL_KEYS = ("scene", "environment", "entity", "shot")


@dataclass
class EntityBuild:
    """What the scene says about one entity, before it exists."""

    name: str
    components: list = field(default_factory=list)
    model: dict | None = None  # {"handle": int, "tint": ..., "cast_shadows": ..., "clip": ...}
    animation: dict | None = None
    parent: str | None = None
    look_at_target: str | None = None
    entity: int = -1


@dataclass
class SceneInfo:
    path: str
    name: str
    duration: float
    fps: float
    entities: dict[str, int]
    shots: list


class SceneRegistry:
    """Scene component keys, registered by domain plugins (flecs-style modules)."""

    def __init__(self):
        self.types: dict[str, SceneComponentType] = {}
        self.finishers: list = []  # callables(loader) run after all entities exist
        # [scene] keys a domain adds: key -> (rule, apply(world, value)), applied before any entity spawns
        self.header_keys: dict[str, tuple] = {}

    def register(self, component_type: SceneComponentType) -> None:
        self.types[component_type.key] = component_type


def read_toml(path: str | os.PathLike) -> dict:
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    if path.is_dir():
        raise InputError(path, "is a directory, expected a .toml scene file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise SceneError(path, "not a text file (expected TOML)") from None
    except tomllib.TOMLDecodeError as exc:
        raise SceneError(path, f"TOML syntax error: {exc}") from None


class SceneLoader:
    def __init__(self, app, path: str | os.PathLike):
        self.app = app
        self.world = app.world
        self.path = os.fspath(path)
        self.directory = Path(path).resolve().parent
        self.registry: SceneRegistry = app.world.resource(SceneRegistry)
        self.builds: list[EntityBuild] = []
        self.by_name: dict[str, EntityBuild] = {}

    def context(self, entity: str = "") -> SceneContext:
        return SceneContext(self.path, entity)

    def resolve_asset(self, relative: str, ctx: SceneContext, where: str) -> Path:
        candidate = (self.directory / relative).resolve()
        if not candidate.exists():
            raise ctx.fail(where, f"file not found: {relative} (looked in {candidate.parent})")
        return candidate

    def load(self) -> SceneInfo:
        document = read_toml(self.path)
        unknown = set(document) - set(TOP_LEVEL_KEYS)
        if unknown:
            raise SceneError(self.path, f"unknown top-level table '{sorted(unknown)[0]}' (known: {', '.join(TOP_LEVEL_KEYS)})")
        info = self._scene_header(document.get("scene", {}))
        entities = document.get("entity", [])
        if not isinstance(entities, list):
            raise SceneError(self.path, "'entity' must be an array of tables: write [[entity]]")
        for index, table in enumerate(entities):
            self._parse_entity(index, table)
        self._check_parent_cycles()
        for build in self.builds:
            self._spawn(build)
        for build in self.builds:
            self._link(build)
        for finish in self.registry.finishers:
            finish(self, document)
        info.entities = {b.name: b.entity for b in self.builds}
        return info

    def _scene_header(self, table) -> SceneInfo:
        from engine.scene_schema import number, string

        rules = {"name": string(Path(self.path).stem), "duration": number(10.0, positive=True),
                 "fps": number(24.0, positive=True, maximum=240)}
        rules.update({key: rule for key, (rule, _) in self.registry.header_keys.items()})
        values = validate_table(table, rules, "scene", self.context())
        for key, (_, apply) in self.registry.header_keys.items():
            apply(self.world, values[key])
        return SceneInfo(self.path, values["name"], values["duration"], values["fps"], {}, [])

    def _parse_entity(self, index: int, table) -> None:
        if not isinstance(table, dict):
            raise SceneError(self.path, f"entity #{index + 1}: expected a table")
        name = table.get("name")
        if not isinstance(name, str) or not name:
            raise SceneError(self.path, f"entity #{index + 1}: 'name' is required (a non-empty string)")
        ctx = self.context(name)
        if name in self.by_name:
            raise ctx.fail("name", "another entity already has this name")
        build = EntityBuild(name)
        parent = table.get("parent")
        if parent is not None:
            if not isinstance(parent, str):
                raise ctx.fail("parent", f"expected an entity name, got {parent!r}")
            build.parent = parent
        # models and shapes first: other keys (animation) refer to them
        ordered = sorted(table.items(), key=lambda kv: kv[0] not in ("model", "shape"))
        for key, value in ordered:
            if key in ENTITY_SCALARS:
                continue
            component_type = self.registry.types.get(key)
            if component_type is None:
                known = ", ".join(sorted(self.registry.types))
                raise ctx.fail(key, f"unknown component (known: {known})")
            values = validate_table(value, component_type.rules, key, ctx)
            component_type.apply(self, build, values, ctx)
        self.builds.append(build)
        self.by_name[name] = build

    def _check_parent_cycles(self) -> None:
        for build in self.builds:
            seen, node = {build.name}, build
            while node.parent is not None and node.parent in self.by_name:
                node = self.by_name[node.parent]
                if node.name in seen:
                    raise self.context(build.name).fail("parent", f"parent links form a cycle through '{node.name}'")
                seen.add(node.name)

    def _spawn(self, build: EntityBuild) -> None:
        from components.transform import GlobalTransform, Transform
        from systems.animation.spawn_model import spawn_model

        transform = next((c for c in build.components if c.component is Transform), None)
        others = [c for c in build.components if c.component is not Transform]
        if build.model is not None:
            model = build.model
            animation = build.animation or {}
            build.entity = spawn_model(self.world, model["handle"], transform, *others, tint=model["tint"],
                                       cast_shadows=model["cast_shadows"], clip=animation.get("clip"),
                                       speed=animation.get("speed", 1.0), start_time=animation.get("start", 0.0),
                                       offset=animation.get("offset", 0.0), loop=animation.get("loop", True))
        else:
            build.entity = self.world.spawn(transform or Transform(), GlobalTransform(), *others)

    def _link(self, build: EntityBuild) -> None:
        from components.motion import LookAt
        from components.transform import Parent

        ctx = self.context(build.name)
        if build.parent is not None:
            target = self.by_name.get(build.parent)
            if target is None:
                raise ctx.fail("parent", f"no entity named '{build.parent}'")
            if target is build:
                raise ctx.fail("parent", "an entity cannot be its own parent")
            self.world.insert(build.entity, Parent(entity=target.entity))
        if build.look_at_target is not None:
            target = self.by_name.get(build.look_at_target)
            if target is None:
                raise ctx.fail("look_at.target", f"no entity named '{build.look_at_target}'")
            self.world.set(build.entity, LookAt.target, target.entity)


def load_scene(app, path: str | os.PathLike) -> SceneInfo:
    """Populate `app.world` from a scene file (the app must have the scene plugins added)."""
    return SceneLoader(app, path).load()
