"""Lights. A light's direction is its entity's -Z axis, like a camera's view direction."""

from engine.component import F32, Bool, Vec3, component


@component
class DirectionalLight:
    """The key light: parallel rays (a sun), shadow mapped when `cast_shadows`."""

    color: Vec3 = (1.0, 0.95, 0.88)
    intensity: F32 = 3.0
    cast_shadows: Bool = True


@component
class AmbientLight:
    """Hemisphere fill: sky colour from above, ground bounce from below."""

    sky_color: Vec3 = (0.55, 0.65, 0.8)
    ground_color: Vec3 = (0.25, 0.22, 0.2)
    intensity: F32 = 0.6


@component
class PointLight:
    color: Vec3 = (1.0, 0.8, 0.6)
    intensity: F32 = 10.0
    range: F32 = 10.0
