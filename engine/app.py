"""App: a world, a schedule, plugins, and the frame driver.

A plugin is a function `plugin(app)` that registers a domain's resources and
systems. `update_to(t)` produces the frame at time t: capture once; then for
each fixed step due up to t, animation at the step's time followed by the
simulation step (reset and re-stepped from zero after a seek backwards); then
animation at t, and effects, extract and render once.
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
        self._on_close: list[Callable[[], None]] = []

    def on_close(self, release: Callable[[], None]) -> None:
        """Run `release` when the app closes (live capture devices, native trackers): in reverse order."""
        self._on_close.append(release)

    def close(self) -> None:
        """Release what plugins opened. Safe to call more than once."""
        while self._on_close:
            self._on_close.pop()()

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
        if time + 1e-9 < clock.sim_time:
            clock.sim_steps = 0
            self.world.send(SimulationReset())
        clock.time = time
        run = self.schedule.run_phase
        run(Phase.CAPTURE, self.world, self.commands)
        steps = clock.steps_due()
        for _ in range(steps):
            # each step sees the world posed at its own time, so an emitter on a moving entity
            # gives the same particles whether the frames were played, scrubbed or rendered at another fps
            clock.time = (clock.sim_steps + 1) * clock.fixed_dt
            run(Phase.ANIMATE, self.world, self.commands)
            run(Phase.SIMULATE, self.world, self.commands)
            clock.sim_steps += 1
        clock.time = time
        run(Phase.ANIMATE, self.world, self.commands)
        run(Phase.EFFECTS, self.world, self.commands)
        run(Phase.EXTRACT, self.world, self.commands)
        run(Phase.RENDER, self.world, self.commands)
        for queue in self.world.events.values():
            queue.update()

    def advance(self, real_dt: float) -> None:
        """Interactive playback: move time forward by wall-clock dt when playing."""
        clock = self.clock
        next_time = clock.time + (real_dt * clock.speed if clock.playing else 0.0)
        self.update_to(clock.wrap(next_time))
