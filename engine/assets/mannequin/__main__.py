"""python -m engine.assets.mannequin OUT_DIR  ->  OUT_DIR/mannequin_a.glb, OUT_DIR/mannequin_b.glb"""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.assets.gltf_writer import write_gltf
from engine.assets.mannequin import VARIANTS, build_mannequin


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m engine.assets.mannequin", description=__doc__)
    parser.add_argument("out_dir", type=Path, help="folder for mannequin_<variant>.glb")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for variant in VARIANTS:
        path = args.out_dir / f"mannequin_{variant}.glb"
        write_gltf(build_mannequin(variant), path)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
