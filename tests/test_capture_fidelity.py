"""Capture fidelity on renders of the project's mannequin through the real MediaPipe models.

Face: driving a morph target of the mannequin's face makes MediaPipe's matching blendshape rise.
Body: known poses rendered from the front, captured, retargeted back onto the mannequin, joint
angles compared (see `systems/capture/study.py`; the figures are in BENCHMARKS.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.capture.arkit import ARKIT_BLENDSHAPES
from engine.errors import AssetError

FACE_TARGETS = ["jawOpen", "eyeBlinkLeft", "eyeBlinkRight", "mouthSmileLeft", "mouthSmileRight", "browInnerUp",
                "mouthFunnel"]


def _models_or_skip():
    from systems.capture.model_bundles import resolve_model

    try:
        resolve_model("face")
        resolve_model("pose")
    except AssetError as error:
        pytest.skip(f"no MediaPipe model bundles: {error}")


@pytest.fixture(scope="module")
def face_stage():
    _models_or_skip()
    from systems.capture.stage import CaptureStage
    from systems.capture.trackers import CaptureTracker

    with CaptureStage("face") as stage, CaptureTracker(face=True, pose=False, mode="image") as tracker:
        yield stage, tracker


def test_blendshape_response_rises_with_the_driven_morph_weight(face_stage):
    stage, tracker = face_stage
    for target in FACE_TARGETS:
        scores = []
        for weight in (0.0, 0.5, 1.0):
            frame = tracker.process(stage.render(weights={target: weight}), 0.0)
            assert frame.face_blendshapes is not None, f"no face found with {target} = {weight}"
            scores.append(float(frame.face_blendshapes[ARKIT_BLENDSHAPES.index(target)]))
        assert scores[0] <= scores[1] <= scores[2], f"{target}: {scores}"
        assert scores[2] - scores[0] > 0.03, f"{target}: {scores}"
