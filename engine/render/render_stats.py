"""Counters for the last rendered frame."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RenderStats:
    draw_calls: int = 0  # every draw in every pass, post-processing included
    triangles: int = 0  # scene triangles drawn (shadow pass included), instances counted
    instances: int = 0  # mesh instances in the frame
    particles: int = 0  # live particles drawn (before culling)
    particle_path: str = ""  # "gl-billboards" or "cpu-splat" when the frame had particles
    cpu_ms: float = 0.0  # time spent in Renderer.render (GL calls are queued, not waited on)

    def count_draw(self, triangles: int = 0) -> None:
        self.draw_calls += 1
        self.triangles += triangles
