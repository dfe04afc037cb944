"""Systems, phases, commands, events and the fixed-step clock."""

import numpy as np
import pytest

from engine.app import App, SimulationReset
from engine.clock import Clock
from engine.commands import Commands
from engine.component import Vec3, component
from engine.query import Query, Read, Write
from engine.schedule import EventReader, EventWriter, Phase, Res


@component
class Position:
    value: Vec3


@component
class Velocity:
    value: Vec3 = (1.0, 0.0, 0.0)


def integrate(q: Query[Write[Position], Read[Velocity]], clock: Res[Clock]):
    for view in q:
        view[Position.value] += view[Velocity.value] * clock.fixed_dt


def test_system_declares_access():
    app = App()
    app.add_system(integrate, Phase.SIMULATE)
    (system,) = app.schedule.systems[Phase.SIMULATE]
    assert system.writes == {Position} and system.reads == {Velocity}


def test_extract_systems_may_not_write_components():
    def bad_extract(q: Query[Write[Position]]):
        pass

    with pytest.raises(TypeError, match="only read"):
        App().add_system(bad_extract, Phase.EXTRACT)


def test_fixed_step_simulation_is_frame_rate_independent():
    results = []
    for fps in (24, 60, 7):
        app = App()
        app.add_system(integrate, Phase.SIMULATE)
        e = app.world.spawn(Position(), Velocity())
        for i in range(1, fps * 2 + 1):
            app.update_to(i / fps)
        results.append(app.world.get(e, Position.value)[0])
        assert app.clock.sim_steps == 120
    assert np.allclose(results, results[0])


def test_seek_backwards_resets_simulation():
    app = App()
    seen = []

    def watch(resets: EventReader[SimulationReset]):
        seen.extend(resets.read())

    app.add_system(watch, Phase.CAPTURE)
    app.update_to(1.0)
    app.update_to(0.5)
    app.update_to(0.6)
    assert len(seen) == 1 and app.clock.sim_steps == 36


def test_commands_are_deferred_to_end_of_phase():
    app = App()
    counts = []

    def spawner(commands: Commands, q: Query[Read[Position]]):
        counts.append(q.count())
        commands.spawn(Position())

    app.add_system(spawner, Phase.EFFECTS)
    app.update_to(0.0)
    app.update_to(0.1)
    assert counts == [0, 1]


def test_events_reach_later_systems_once():
    app = App()
    received = []

    class Ping:
        pass

    def sender(send: EventWriter[Ping]):
        send(Ping())

    def receiver(pings: EventReader[Ping]):
        received.append(len(pings.read()))

    app.add_system(sender, Phase.CAPTURE)
    app.add_system(receiver, Phase.RENDER)
    for t in range(3):
        app.update_to(t * 0.1)
    assert received == [1, 1, 1]


def test_system_ordering_before_after():
    app = App()
    order = []

    def a(clock: Res[Clock]):
        order.append("a")

    def b(clock: Res[Clock]):
        order.append("b")

    def c(clock: Res[Clock]):
        order.append("c")

    app.add_system(a, Phase.ANIMATE)
    app.add_system(b, Phase.ANIMATE)
    app.add_system(c, Phase.ANIMATE, before="b")
    app.update_to(0.0)
    assert order == ["a", "c", "b"]


def test_animation_runs_at_each_fixed_step_time_then_at_the_frame_time():
    app = App()
    seen = []

    def record(clock: Res[Clock]):
        seen.append(round(clock.time, 6))

    app.add_system(record, Phase.ANIMATE)
    app.update_to(0.05)  # three 1/60 s steps are due
    assert seen == [round(1 / 60, 6), round(2 / 60, 6), round(3 / 60, 6), 0.05]
