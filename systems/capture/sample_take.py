"""The project's sample take, made by the project's own capture pipeline.

The mannequin performs its `wave` clip on the capture stage; each rendered frame goes
through the real MediaPipe trackers exactly as `main.py capture` would process a video,
and the result is written as a take. `scenes/capture.toml` plays it on the second
mannequin beside the first one playing the original clip: the whole capture loop
(render -> track -> filter -> retarget) in one shot, with no third-party data.

    python -m systems.capture.sample_take assets/takes/wave.take
"""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

SECONDS, FPS = 4.0, 30.0


def make_sample_take(out: Path) -> int:
    from components.model import AnimationPlayer
    from engine.capture.take import TakeWriter
    from systems.capture.pipeline import CapturePipeline
    from systems.capture.stage import CaptureStage

    frames = int(SECONDS * FPS)
    with CaptureStage("body", (640, 480)) as stage, CapturePipeline(face=False, pose=True, hands=False) as pipeline:
        stage.app.world.insert(stage.entity, AnimationPlayer(clip=stage.model.clip_index("wave"), loop=True))
        out.parent.mkdir(parents=True, exist_ok=True)
        with TakeWriter(out, pipeline.channels, source="capture stage: mannequin_a wave", fps=FPS,
                        overwrite=True) as writer:
            for frame in tqdm(range(frames), desc="sample take", unit="frame"):
                t = frame / FPS
                raw, solved = pipeline.process(stage.output.frame_at(stage.app, t), t)
                writer.write_frame(t, {**raw, **solved})
    return frames


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "assets/takes/wave.take")
    print(f"wrote {target} ({make_sample_take(target)} frames)")
