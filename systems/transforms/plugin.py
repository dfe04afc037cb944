"""Transforms domain: velocity integration and world matrices from local transforms."""

from engine.schedule import Phase
from systems.transforms.integrate_velocity import integrate_velocity
from systems.transforms.propagate_transforms import propagate_transforms


def transforms_plugin(app) -> None:
    app.add_system(propagate_transforms, Phase.ANIMATE)
    app.add_system(integrate_velocity, Phase.SIMULATE)
