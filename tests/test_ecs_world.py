"""World storage: archetype tables, generational ids, structural changes, queries."""

import numpy as np
import pytest

from engine.component import F32, Vec3, component
from engine.entity_ids import generation_of, index_of
from engine.query import Query, Read, With, Write
from engine.world import World


@component
class Position:
    value: Vec3


@component
class Velocity:
    value: Vec3 = (1.0, 0.0, 0.0)


@component
class Mass:
    kg: F32 = 1.0


@component
class Frozen:
    pass


def test_columns_are_contiguous_and_views_not_copies():
    world = World()
    ids = world.spawn_batch(1000, [Position, Velocity])
    query = world.query(Write(Position), Read(Velocity))
    (view,) = list(query)
    column = view[Position.value]
    assert column.flags.c_contiguous and column.shape == (1000, 3)
    column[:, 1] = 5.0  # writes through to the table
    assert world.get(ids[10], Position.value)[1] == 5.0
    assert np.shares_memory(column, world.tables[0].columns[Position.value])


def test_read_access_is_read_only():
    world = World()
    world.spawn(Position(), Velocity())
    (view,) = list(world.query(Write(Position), Read(Velocity)))
    with pytest.raises(ValueError):
        view[Velocity.value][0, 0] = 3.0
    with pytest.raises(KeyError):
        view[Mass.kg]


def test_tables_grow_by_doubling_and_keep_values():
    world = World()
    first = world.spawn(Position(value=(1, 2, 3)))
    for _ in range(200):
        world.spawn(Position())
    table = world.tables[0]
    assert table.capacity >= 201 and table.capacity & (table.capacity - 1) == 0
    assert world.get(first, Position.value).tolist() == [1, 2, 3]


def test_despawn_swaps_last_row_and_stale_ids_are_detected():
    world = World()
    a, b, c = (world.spawn(Position(value=(i, 0, 0))) for i in range(3))
    world.despawn(a)
    assert not world.is_alive(a)
    assert world.get(c, Position.value)[0] == 2  # c moved into a's row and is still found
    assert world.tables[0].len == 2
    d = world.spawn(Position())
    assert index_of(d) == index_of(a) and generation_of(d) == generation_of(a) + 1
    assert not world.is_alive(a) and world.is_alive(d)
    assert world.entities.alive_mask(np.array([a, b, c, d, -1])).tolist() == [False, True, True, True, False]


def test_insert_and_remove_move_between_archetypes():
    world = World()
    e = world.spawn(Position(value=(4, 5, 6)))
    world.insert(e, Velocity(value=(0, 1, 0)))
    assert world.has(e, Velocity)
    assert world.get(e, Position.value).tolist() == [4, 5, 6]
    world.remove(e, Velocity)
    assert not world.has(e, Velocity)
    assert world.get(e, Position.value).tolist() == [4, 5, 6]


def test_query_filters_with_and_without():
    world = World()
    world.spawn_batch(3, [Position, Velocity])
    world.spawn_batch(2, [Position, Velocity, Frozen])
    world.spawn_batch(4, [Position])
    assert world.query(Read(Position)).count() == 9
    assert world.query(Read(Position), With(Velocity)).count() == 5
    assert Query(world, (Read(Position),), (Velocity,), (Frozen,)).count() == 3
    assert world.query(Read(Position), without=(Velocity,)).count() == 4
    gathered = world.query(Read(Velocity)).gather(Velocity.value)
    assert gathered.shape == (5, 3) and np.all(gathered[:, 0] == 1.0)


def test_component_values_are_validated():
    with pytest.raises(ValueError, match="Position.value"):
        Position(value=(1, 2))
    with pytest.raises(TypeError):
        Position(speed=3)
