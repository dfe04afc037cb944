"""The demo scene (skinned characters, clip cues, camera moves, particles) renders the same frames every time:
twice in a row, and when a frame is reached by scrubbing backwards instead of playing forwards."""

from pathlib import Path

import numpy as np

from engine.cli.scene_session import HeadlessOutput, build_scene_app

DEMO = Path(__file__).resolve().parents[1] / "scenes" / "demo.toml"
SIZE = (240, 136)


def render_times(times, particle_path="cpu"):
    app, _ = build_scene_app(DEMO, SIZE, particle_path)
    headless = HeadlessOutput.attach(app, SIZE)
    try:
        return [headless.frame_at(app, t) for t in times]
    finally:
        headless.release()


def test_demo_renders_identically_twice():
    first = render_times([1.5, 2.0])
    second = render_times([1.5, 2.0])
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert not np.array_equal(first[0], first[1])


def test_scrubbing_back_gives_the_played_frame():
    played = render_times([0.5, 1.0, 1.5])[2]
    scrubbed = render_times([2.5, 1.5])[1]  # seek backwards: simulation resets and re-steps from zero
    assert np.array_equal(played, scrubbed)
