"""One Euro filtering and the per-channel stabiliser of captured data."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from systems.capture.one_euro import (
    BLENDSHAPE_WEIGHTS,
    LANDMARK_METRES,
    OneEuroFilter,
    QuaternionOneEuroFilter,
)
from systems.capture.stabilize import (
    BLENDSHAPES,
    EASING,
    LANDMARKS,
    PREDICTED,
    REST,
    ROTATIONS,
    TRACKED,
    CaptureStabilizer,
    Stabilizer,
)

FPS = 30.0


def run_filter(filter_, times, samples):
    return np.array([filter_(t, x).copy() for t, x in zip(times, samples)])


# -- One Euro ----------------------------------------------------------------------------------------------------

def test_one_euro_smooths_landmark_jitter():
    rng = np.random.default_rng(7)
    times = np.arange(120) / FPS
    truth = rng.uniform(-1, 1, (33, 3))
    noisy = truth + rng.normal(0.0, 0.005, (120, 33, 3))  # 5 mm of jitter on still landmarks
    out = run_filter(OneEuroFilter((33, 3), LANDMARK_METRES, vector_axis=-1), times, noisy)
    raw_error = np.abs(noisy[30:] - truth).mean()
    filtered_error = np.abs(out[30:] - truth).mean()
    assert filtered_error < raw_error / 2.5


def test_one_euro_follows_a_ramp_with_small_lag():
    times = np.arange(60) / FPS
    ramp = np.stack([1.0 * times, -0.5 * times, np.zeros_like(times)], axis=-1)[:, None, :]  # ~1.1 m/s
    out = run_filter(OneEuroFilter((1, 3), LANDMARK_METRES, vector_axis=-1), times, ramp)
    lag = np.linalg.norm(ramp[30:, 0] - out[30:, 0], axis=-1)
    assert lag.max() < 0.02  # under 2 cm behind a fast-moving hand
    # the cutoff opens with speed: a fixed 1 Hz low-pass (beta = 0) lags far more
    fixed = OneEuroFilter((1, 3), LANDMARK_METRES.__class__(min_cutoff=1.0, beta=0.0), vector_axis=-1)
    fixed_lag = np.linalg.norm(ramp[30:, 0] - run_filter(fixed, times, ramp)[30:, 0], axis=-1)
    assert fixed_lag.mean() > 5 * lag.mean()


def test_one_euro_variable_dt_and_repeated_time():
    filter_ = OneEuroFilter(2, BLENDSHAPE_WEIGHTS)
    rng = np.random.default_rng(1)
    times = np.cumsum(rng.uniform(0.005, 0.1, 80))  # irregular frame times, dropped frames included
    for t in times:
        out = filter_(t, [0.8, 0.2]).copy()
    np.testing.assert_allclose(out, [0.8, 0.2], atol=1e-6)
    again = filter_(times[-1], [0.0, 0.0]).copy()  # same timestamp: no new information
    np.testing.assert_array_equal(again, out)


def test_one_euro_masked_and_nan_channels_hold():
    filter_ = OneEuroFilter(3)
    filter_(0.0, [1.0, 2.0, 3.0])
    out = filter_(0.1, [np.nan, 5.0, 6.0], valid=[True, True, False]).copy()
    assert out[0] == 1.0 and out[2] == 3.0 and 2.0 < out[1] < 5.0
    filter_.reset()
    assert filter_(0.2, [9.0, 9.0, 9.0]).tolist() == [9.0, 9.0, 9.0]  # first sample after reset passes through


def test_quaternion_filter_keeps_sign_continuity():
    angles = np.linspace(0.0, 1.0, 40)
    quats = np.stack([np.zeros_like(angles), np.sin(angles / 2), np.zeros_like(angles), np.cos(angles / 2)], axis=-1)
    quats[1::2] *= -1  # the tracker flips sign every other frame: same rotations
    filter_ = QuaternionOneEuroFilter((1, 4))
    out = run_filter(filter_, np.arange(40) / FPS, quats[:, None, :])[:, 0]
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), 1.0, atol=1e-9)
    steps = np.abs(np.einsum("ij,ij->i", out[1:], out[:-1]))
    assert np.all(out[1:, 3] > 0) and steps.min() > 0.999  # no half-way jumps through the origin


# -- stabiliser --------------------------------------------------------------------------------------------------

def test_velocity_gate_rejects_a_spike():
    stabilizer = Stabilizer(np.zeros((2, 3)), LANDMARKS)
    still = np.array([[0.2, -0.5, 0.1], [0.0, 0.0, 0.0]])
    for i in range(45):  # long enough for the ease in from rest to finish
        stabilizer.update(i / FPS, still)
    spike = still.copy()
    spike[0, 1] += 1.0  # 1 m in one frame: 30 m/s
    result = stabilizer.update(45 / FPS, spike)
    assert result.state.tolist() == [PREDICTED, TRACKED]
    assert np.abs(result.values[0] - still[0]).max() < 0.001  # not followed
    result = stabilizer.update(46 / FPS, still)
    assert result.state.tolist() == [TRACKED, TRACKED] and result.confidence.tolist() == [1.0, 1.0]
    # a real relocation is accepted once the allowed travel covers it
    states = [stabilizer.update((47 + i) / FPS, spike).state[0] for i in range(5)]
    assert states[0] == PREDICTED and states[-1] == TRACKED


def test_gap_prediction_then_rest_then_ease_back():
    rest = np.array([[0.0, 1.0, 0.0]])
    stabilizer = Stabilizer(rest, LANDMARKS)
    velocity = np.array([0.6, 0.0, 0.0])
    t = 0.0
    for i in range(30):  # moving steadily at 0.6 m/s
        t = i / FPS
        last = stabilizer.update(t, (np.array([0.0, 0.5, 0.0]) + velocity * t)[None])
    # dropout: prediction first (coasting on), then an ease to rest
    history = [stabilizer.update((30 + i) / FPS, None) for i in range(60)]
    predicted = history[:5]
    assert all(h.state[0] == PREDICTED for h in predicted)
    assert predicted[0].values[0, 0] > last.values[0, 0]  # extrapolated along the motion
    confidences = [h.confidence[0] for h in predicted]
    assert confidences == sorted(confidences, reverse=True) and 0 < confidences[-1] < 1
    easing = history[5:]
    assert easing[0].state[0] == EASING
    distances = [np.linalg.norm(h.values[0] - rest[0]) for h in easing]
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(distances))  # monotonic approach
    assert history[-1].state[0] == REST and history[-1].confidence[0] == 0.0
    np.testing.assert_allclose(history[-1].values, rest)
    # tracking returns far from rest: no jump, then onto the signal
    target = np.array([[0.4, 0.2, 0.3]])
    back = [stabilizer.update((90 + i) / FPS, target) for i in range(45)]
    assert back[0].state[0] == TRACKED and back[0].confidence[0] == 1.0
    assert np.linalg.norm(back[0].values - rest) < 0.35 * np.linalg.norm(target - rest)
    np.testing.assert_allclose(back[-1].values, target, atol=2e-3)


def test_below_visibility_counts_as_missing():
    stabilizer = Stabilizer(None, LANDMARKS, shape=(3, 3))
    points = np.arange(9.0).reshape(3, 3) / 10
    stabilizer.update(0.0, points, [0.9, 0.9, 0.9])
    result = stabilizer.update(1 / FPS, points, [0.9, 0.2, np.nan])
    assert result.state.tolist() == [TRACKED, PREDICTED, PREDICTED]
    # without a rest array a lost point holds its value while confidence falls to zero
    for i in range(2, 80):
        result = stabilizer.update(i / FPS, points, [0.9, 0.2, 0.2])
    assert result.state.tolist() == [TRACKED, REST, REST] and result.confidence.tolist() == [1.0, 0.0, 0.0]
    np.testing.assert_allclose(result.values, points, atol=1e-6)


@pytest.mark.parametrize("bad", [
    None, np.full((4, 3), np.nan), [[np.nan, 0, 0]] * 4, np.array([[None, 1, 2]] * 4, dtype=object),
    [[np.inf, 0, 0]] * 4,
])
def test_dropped_frames_never_raise(bad):
    stabilizer = Stabilizer(np.zeros((4, 3)), LANDMARKS)
    stabilizer.update(0.0, np.ones((4, 3)))
    for i, t in enumerate([1 / FPS, 2 / FPS, float("nan"), 2 / FPS, None, 3 / FPS]):
        result = stabilizer.update(t, bad, visibility=[np.nan, None, 1.0, 0.5] if i == 1 else None)
        assert np.isfinite(result.values).all() and np.isfinite(result.confidence).all()


def test_blendshapes_stay_in_range():
    stabilizer = Stabilizer(np.zeros(52), BLENDSHAPES)
    weights = np.zeros(52)
    weights[:4] = [1.0, 0.0, 1.0, 0.0]
    for i in range(6):
        result = stabilizer.update(i / FPS, weights if i < 3 else None)  # predicted past the edge would overshoot
    assert result.values.min() >= 0.0 and result.values.max() <= 1.0
    assert result.values.shape == (52,) and result.confidence.shape == (52,)


def test_rotation_channel_eases_along_unit_quaternions():
    stabilizer = Stabilizer(np.array([[0.0, 0.0, 0.0, 1.0]]), ROTATIONS)
    turned = np.array([[0.0, np.sin(0.4), 0.0, np.cos(0.4)]])
    for i in range(20):
        stabilizer.update(i / FPS, turned * (-1) ** i)  # sign flips are the same rotation
    for i in range(20, 80):
        result = stabilizer.update(i / FPS, None)
        assert abs(np.linalg.norm(result.values) - 1.0) < 1e-5
    np.testing.assert_allclose(result.values, [[0, 0, 0, 1]], atol=1e-6)


def _noisy_session(stabilizer, seed):
    rng = np.random.default_rng(seed)
    outputs = []
    for i in range(120):
        values = rng.normal(0, 0.3, (33, 3)) if rng.random() > 0.2 else None
        visibility = rng.random(33)
        outputs.append(stabilizer.update(i / FPS + rng.uniform(0, 0.01), values, visibility))
    return outputs


def test_stabilizer_is_deterministic():
    first = _noisy_session(Stabilizer(np.zeros((33, 3)), LANDMARKS), seed=3)
    second_stabilizer = Stabilizer(np.zeros((33, 3)), LANDMARKS)
    second = _noisy_session(second_stabilizer, seed=3)
    for a, b in zip(first, second):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    second_stabilizer.reset()
    for a, b in zip(first, _noisy_session(second_stabilizer, seed=3)):
        np.testing.assert_array_equal(a.values, b.values)


def test_capture_stabilizer_channels():
    angle = 0.3
    head = np.eye(4, dtype=np.float32)
    head[:3, :3] = [[np.cos(angle), 0, np.sin(angle)], [0, 1, 0], [-np.sin(angle), 0, np.cos(angle)]]
    head[:3, 3] = [0.05, 0.2, -0.7]
    pose = np.concatenate([np.random.default_rng(0).normal(0, 0.3, (33, 3)), np.ones((33, 1))], axis=1)
    channels = {"face.blendshapes": np.full(52, 0.25, np.float32), "face.matrix": head, "pose.world": pose,
                "hand.left.world": None, "hand.right.world": None}
    stabilizer = CaptureStabilizer()
    for i in range(40):
        out = stabilizer.update(i / FPS, channels)
    np.testing.assert_allclose(out["face.matrix"].values, head, atol=1e-4)
    np.testing.assert_allclose(out["pose.world"].values, pose[:, :3], atol=1e-5)
    assert out["pose.world"].confidence.shape == (33,) and out["pose.world"].confidence.min() == 1.0
    assert out["hand.left.world"].values.shape == (21, 3) and out["hand.left.world"].confidence.max() == 0.0
    np.testing.assert_allclose(out["face.blendshapes"].values, 0.25, atol=1e-3)  # eased in from rest
    lost = {name: None for name in channels}
    for i in range(40, 100):
        out = stabilizer.update(i / FPS, lost)
    np.testing.assert_allclose(out["face.matrix"].values[:3, :3], np.eye(3), atol=1e-5)  # rest: facing the camera
    np.testing.assert_allclose(out["face.matrix"].values[:3, 3], head[:3, 3], atol=1e-4)  # translation holds
    assert out["face.blendshapes"].values.max() == 0.0
