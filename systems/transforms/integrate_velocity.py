"""Fixed-step integration of linear velocity into translation."""

from components.motion import Velocity
from components.transform import Transform
from engine.clock import Clock
from engine.query import Query, Read, Write
from engine.schedule import Res


def integrate_velocity(movers: Query[Write[Transform], Read[Velocity]], clock: Res[Clock]):
    dt = clock.fixed_dt
    for view in movers:
        translation = view[Transform.translation]
        translation += view[Velocity.linear] * dt
