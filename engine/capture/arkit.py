"""The 52 ARKit face blendshape names, in Apple's documented order.

This is the order of `ARFaceAnchor.BlendShapeLocation` in Apple's reference (left eye, right eye, mouth and jaw,
eyebrows, cheeks, nose, tongue). Every (52,) face channel in the engine, e.g. `FaceTrack.weights` or the take
channels `face.blendshapes` and `face.weights`, uses this order. Note that Live Link Face's CSV columns use a
slightly different order (JawRight before JawLeft, MouthRight before MouthLeft); `engine.capture.livelink` maps
columns by name, never by position.
"""

from __future__ import annotations

ARKIT_BLENDSHAPES: tuple[str, ...] = (
    # left eye
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft", "eyeSquintLeft",
    "eyeWideLeft",
    # right eye
    "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight", "eyeSquintRight",
    "eyeWideRight",
    # mouth and jaw
    "jawForward", "jawLeft", "jawRight", "jawOpen",
    "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight",
    "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthUpperUpLeft", "mouthUpperUpRight",
    # eyebrows
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    # cheeks
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
    # nose
    "noseSneerLeft", "noseSneerRight",
    # tongue
    "tongueOut",
)

ARKIT_INDEX: dict[str, int] = {name: i for i, name in enumerate(ARKIT_BLENDSHAPES)}

assert len(ARKIT_BLENDSHAPES) == 52 and len(ARKIT_INDEX) == 52
