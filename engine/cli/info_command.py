"""`main.py info FILE`: one JSON object describing a take, BVH, Live Link CSV, scene, model or learned effect."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from engine.errors import InputError

MODEL_SUFFIXES = (".glb", ".gltf", ".vrm", ".obj", ".ply", ".stl")
CAPTURE_SUFFIXES = (".take", ".csv", ".bvh")


def describe(path: str) -> dict:
    suffix = Path(path).suffix.lower()
    if not Path(path).exists():
        raise InputError(path, "file not found")
    if suffix in CAPTURE_SUFFIXES:
        from engine.capture.describe import describe_file

        return describe_file(path)
    if suffix == ".toml":
        return describe_scene(path)
    if suffix in MODEL_SUFFIXES:
        return describe_model(path)
    if suffix == ".pt":
        return describe_effect(path)
    known = ", ".join(CAPTURE_SUFFIXES + (".toml", ".pt") + MODEL_SUFFIXES)
    raise InputError(path, f"unknown file type {suffix or '(no extension)'!r} (known: {known})")


def describe_scene(path: str) -> dict:
    """Loads the scene without a GL context: what a render of it would contain."""
    from components.camera import Camera
    from components.model import ModelInstance
    from components.particles import ParticleEmitter
    from engine.cli.scene_session import build_scene_app
    from systems.particles.pool import ParticlePool
    from systems.rendering.view_settings import EntityNames, Timeline

    app, info = build_scene_app(path, (1280, 720))
    world = app.world
    names = world.resource(EntityNames).by_name
    name_of = {entity: name for name, entity in names.items()}

    def named(component) -> list[str]:
        return sorted(name for name, entity in names.items() if world.has(entity, component))

    shots = world.resource(Timeline).shots
    return {
        "kind": "scene",
        "name": info.name,
        "duration_s": info.duration,
        "fps": info.fps,
        "entities": len(info.entities),
        "models": named(ModelInstance),
        "cameras": named(Camera),
        "emitters": named(ParticleEmitter),
        "particle_budget": world.resource(ParticlePool).budget,
        "shots": [{"name": shot.name, "camera": name_of.get(shot.camera), "start_s": shot.start} for shot in shots],
    }


def describe_effect(path: str) -> dict:
    from systems.effects.checkpoint import load_effect

    config, _, meta = load_effect(path)
    history = meta.get("loss_history") or []
    return {
        "kind": "effect",
        "channels": int(config.channels),
        "hidden": int(config.hidden),
        "fire_rate": float(config.fire_rate),
        "exemplar": meta.get("exemplar"),
        "training_size": meta.get("size"),
        "seed": meta.get("seed"),
        "iterations": meta.get("iterations"),
        "final_loss": round(float(history[-1]), 5) if history else None,
    }


def describe_model(path: str) -> dict:
    from engine.assets import load_model

    asset = load_model(path)
    positions = [p.positions for mesh in asset.meshes for p in mesh.primitives if len(p.positions)]
    low = np.min([p.min(axis=0) for p in positions], axis=0) if positions else np.zeros(3)
    high = np.max([p.max(axis=0) for p in positions], axis=0) if positions else np.zeros(3)
    return {
        "kind": "model",
        "nodes": len(asset.nodes),
        "meshes": len(asset.meshes),
        "primitives": sum(len(mesh.primitives) for mesh in asset.meshes),
        "vertices": int(sum(len(p) for p in positions)),
        "materials": len(asset.materials),
        "textures": len(asset.textures),
        "skins": [{"name": skin.name, "joints": len(skin.joints)} for skin in asset.skins],
        "morph_targets": sorted({name for mesh in asset.meshes for name in mesh.target_names}),
        "animations": [{"name": clip.name, "duration_s": round(float(clip.duration), 4)} for clip in asset.animations],
        "humanoid_bones": len(asset.humanoid_bones),
        "mesh_bounds": {"min": [round(float(v), 4) for v in low], "max": [round(float(v), 4) for v in high]},
        "warnings": asset.warnings,
    }


def run(args) -> int:
    print(json.dumps(describe(args.file)))
    return 0
