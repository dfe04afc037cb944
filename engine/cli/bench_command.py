"""`main.py bench ecs|render [--json]`."""

from __future__ import annotations

import json


def run(args) -> int:
    if args.target == "ecs":
        from engine.cli.bench_ecs import bench_ecs

        result = bench_ecs(entities=args.entities or 100_000)
    else:
        from engine.cli.bench_render import bench_render

        result = bench_render(stress_entities=args.entities or 10_000)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>20}: {value}")
    return 0
