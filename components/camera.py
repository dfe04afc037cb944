"""A physical camera: focal length and filmback in millimetres, like on set."""

import math

from engine.component import F32, I32, component


@component
class Camera:
    focal_length_mm: F32 = 35.0
    sensor_width_mm: F32 = 36.0  # filmback; 36 x 24 is full-frame stills, 24.89 x 18.66 Super 35
    sensor_height_mm: F32 = 24.0
    near: F32 = 0.05
    far: F32 = 500.0
    exposure: F32 = 1.0
    priority: I32 = 0  # highest priority camera renders when no shot chooses one


def vertical_fov(focal_length_mm: float, sensor_width_mm: float, sensor_height_mm: float, aspect: float) -> float:
    """Vertical field of view in radians for an image of `aspect` (w/h).

    The filmback is fitted to the image the way a DCC's "fill" gate does: the
    sensor dimension that limits the frame decides the angle of view.
    """
    sensor_aspect = sensor_width_mm / sensor_height_mm
    if aspect >= sensor_aspect:  # wider image: width fits the sensor, height is cropped
        effective_height = sensor_width_mm / aspect
    else:
        effective_height = sensor_height_mm
    return 2.0 * math.atan(effective_height / (2.0 * focal_length_mm))
