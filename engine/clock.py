"""Time: the frame time that rendering samples, and a fixed-step simulation time.

Animation is a pure function of `time`, so any frame can be rendered at any fps
by setting the time. Simulation advances in whole `fixed_dt` steps up to the
frame time; renderers extrapolate by `time - sim_time`.
Seeking backwards resets the simulation to t=0 and re-steps, so a scrubbed or
re-rendered frame is identical to one reached by playing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Clock:
    time: float = 0.0  # seconds, the frame being produced
    fixed_dt: float = 1.0 / 60.0
    sim_steps: int = 0  # fixed steps taken since the last reset
    playing: bool = True
    speed: float = 1.0
    duration: float = 0.0  # scene length in seconds (0 = open-ended)
    loop: bool = True

    @property
    def sim_time(self) -> float:
        return self.sim_steps * self.fixed_dt

    def steps_due(self) -> int:
        """Fixed steps needed for simulation to reach `time` (never negative)."""
        target = int((self.time + 1e-9) / self.fixed_dt)
        return max(0, target - self.sim_steps)

    def wrap(self, t: float) -> float:
        if self.duration > 0:
            if self.loop:
                return t % self.duration
            return min(max(t, 0.0), self.duration)
        return max(t, 0.0)
