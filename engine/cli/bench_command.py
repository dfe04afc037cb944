"""`main.py bench ecs|render|particles|capture|effects [--json]`."""

from __future__ import annotations

import json


def run(args) -> int:
    if args.target == "ecs":
        from engine.cli.bench_ecs import bench_ecs

        result = bench_ecs(entities=args.entities or 100_000)
    elif args.target == "particles":
        from engine.cli.bench_particles import bench_particles
        from engine.render.particle_bench import bench_particle_render

        result = bench_particles(count=args.count, threads=args.threads)
        render = bench_particle_render(count=args.count)
        render["render_threads"] = render.pop("threads", None)  # `threads` stays the simulation's
        result.update(render)
    elif args.target == "effects":
        from systems.effects.effect_bench import bench_effects

        result = bench_effects(size=args.size or 128)
    elif args.target == "capture":
        from systems.capture.capture_bench import bench_capture

        result = bench_capture()
    else:
        from engine.cli.bench_render import bench_render

        result = bench_render(stress_entities=args.entities or 10_000)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>20}: {value}")
    return 0
