"""Learned effects on the GPU: one EffectRunner per running effect, stepped to the frame's count.

Each frame names every effect it shows with its step count (a function of scene time), so
the image is the same whether frames are played, scrubbed or rendered out of order: a
runner ahead of the frame is reseeded and stepped again. Runners not used by a frame are
released after a few frames.
"""

from __future__ import annotations

import moderngl

from engine.render.frame import EffectState
from engine.render.render_stats import RenderStats

IDLE_FRAMES_BEFORE_RELEASE = 120


class EffectPass:
    def __init__(self, ctx: moderngl.Context):
        self.ctx = ctx
        self._runners: dict[tuple, list] = {}  # key -> [runner, steps taken, frames unused]

    def prepare(self, effects: list[EffectState], stats: RenderStats) -> dict[tuple, moderngl.Texture]:
        """Step every effect to its count; returns key -> display texture (linear RGB) for the materials."""
        from engine.render.effect_runner import EffectRunner

        textures = {}
        for state in effects:
            entry = self._runners.get(state.key)
            if entry is None:
                runner = EffectRunner(self.ctx, state.weights, state.config, state.size, wrap=state.wrap,
                                      seed=state.seed)
                entry = self._runners[state.key] = [runner, 0, 0]
            runner = entry[0]
            if state.steps < entry[1]:  # the frame is earlier than the runner: start over
                runner.reseed(state.seed)
                entry[1] = 0
            if state.steps > entry[1]:
                runner.step(state.steps - entry[1])
                entry[1] = state.steps
            entry[2] = 0
            textures[state.key] = runner.color_texture
        for key in [key for key, entry in self._runners.items() if key not in textures]:
            entry = self._runners[key]
            entry[2] += 1
            if entry[2] > IDLE_FRAMES_BEFORE_RELEASE:
                entry[0].release()
                del self._runners[key]
        return textures

    def release(self) -> None:
        for runner, _, _ in self._runners.values():
            runner.release()
        self._runners.clear()
