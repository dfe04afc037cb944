"""App: a world, a schedule, plugins, and the frame driver.

A plugin is a function `plugin(app)` that registers a domain's resources and
systems. `update_to(t)` produces the frame at time t: capture and animation
once, simulation in fixed steps up to t (reset and re-stepped after a seek
backwards), then effects, extract and render once.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.clock import Clock
from engine.commands import Commands
from engine.schedule import Phase, Schedule
from engine.world import World


class SimulationReset:
    """Event: simulation time went back to zero (seek backwards); simulation systems reinitialise."""


class App:
    def __init__(self):
        self.world = World()
        self.schedule = Schedule()
        self.commands = Commands(self.world)
        self.clock = Clock()
        self.world.insert_resource(self.clock)
        self._plugins: set[Callable] = set()
        self.frame_index = 0

    def add_plugin(self, plugin: Callable[["App"], None]) -> "App":
        if plugin not in self._plugins:  # plugins may depend on each other; add each once
            self._plugins.add(plugin)
            plugin(self)
        return self

    def add_system(self, fn: Callable, phase: Phase, **order) -> "App":
        self.schedule.add(fn, phase, **order)
        return self

    def update_to(self, time: float) -> None:
        """Advance the world to `time` (seconds) and produce that frame."""
        clock = self.clock
        clock.frame_dt = time - clock.time
        if time + 1e-9 < clock.sim_time:
            clock.sim_steps = 0
            self.world.send(SimulationReset())
        clock.time = time
        run = self.schedule.run_phase
        run(Phase.CAPTURE, self.world, self.commands)
        run(Phase.ANIMATE, self.world, self.commands)
        for _ in range(clock.steps_due()):
            run(Phase.SIMULATE, self.world, self.commands)
            clock.sim_steps += 1
        run(Phase.EFFECTS, self.world, self.commands)
        run(Phase.EXTRACT, self.world, self.commands)
        run(Phase.RENDER, self.world, self.commands)
        for queue in self.world.events.values():
            queue.update()
        self.frame_index += 1

    def advance(self, real_dt: float) -> None:
        """Interactive playback: move time forward by wall-clock dt when playing."""
        clock = self.clock
        next_time = clock.time + (real_dt * clock.speed if clock.playing else 0.0)
        self.update_to(clock.wrap(next_time))
