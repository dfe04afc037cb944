import math

import numpy as np

from engine.cli.fly_camera import FlyCamera
from engine.math_kernels import trs_matrix


def test_round_trip_from_camera_matrix():
    fly = FlyCamera(np.array([1, 2, 3], np.float32), yaw=0.7, pitch=-0.3)
    matrix = trs_matrix(fly.position, fly.rotation())
    again = FlyCamera.from_matrix(matrix)
    assert math.isclose(again.yaw, 0.7, abs_tol=1e-5) and math.isclose(again.pitch, -0.3, abs_tol=1e-5)


def test_moves_where_it_looks():
    fly = FlyCamera(yaw=math.pi / 2)  # looking down -X
    fly.move(1.0, forward=1.0, right=0.0, up=0.0, fast=False)
    assert np.allclose(fly.position, [-3, 0, 0], atol=1e-5)
    matrix = trs_matrix(fly.position, fly.rotation())
    assert np.allclose(-matrix[2, :3], [-1, 0, 0], atol=1e-5)
