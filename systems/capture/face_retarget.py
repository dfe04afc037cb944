"""Face capture onto any rig: ARKit-52 blendshape weights onto morph targets, head rotation onto neck and head.

Morph targets are matched to the 52 ARKit shapes (`engine.capture.arkit.ARKIT_BLENDSHAPES`) by name, whatever the
case, separators, side-suffix style or exporter prefix: `eyeBlinkLeft`, `EyeBlinkLeft`, `eyeBlink_L`,
`eye_blink_left`, `L_eyeBlink`, `EYE_BLINK_L`, `blendShape1.eyeBlinkLeft` all name ARKit's `eyeBlinkLeft`. When a
shape has no such match, a few common synonyms are tried: Unified Expressions / VRChat (`EyeClosedLeft`,
`MouthClosed`), VRoid (`Fcl_EYE_Close_L`), and VRM presets (`blink_left`/`blinkLeft`, `blink` for both eyes,
`look_up`/`lookUp`... for both eyes, and the vowels `aa`/`ah`/`a` for `jawOpen`, `oh`/`o` for `mouthFunnel`,
`ou`/`uu`/`u` for `mouthPucker`). Several ARKit shapes driving one target combine by taking the largest weight.

Weights are laid out like an instance's morph weights in `engine.assets.library.PreparedModel`: mesh nodes in node
order, each with `weight_offsets[node]` and as many slots as its mesh has targets; unmatched slots keep the rest
(default) weights.

Head rotation: a rotation of the head relative to the upper body, in the engine frame (Y up, the face looking
along +Z, the character's left +X). From MediaPipe's facial transformation matrix (`head_rotation_from_matrix`:
its canonical face looks along +Z with +X the image's right, i.e. the performer's left for an unmirrored camera,
so the matrix's rotation is already in the engine frame), or a quaternion (Live Link Face angles, see
`engine.capture.livelink.livelink_angles_to_quaternion`). `FaceRetarget.head_neck_locals` shares it between the neck
(`neck_share`, 40% by default) and the head (the rest), as local rotations for the rig's neck and head nodes with
the body at rest.
"""

from __future__ import annotations

import re

import numpy as np

from engine.assets.model import AnimationChannel, AnimationClip, ModelAsset
from engine.capture.arkit import ARKIT_BLENDSHAPES
from engine.capture.humanoid import detect_bone_map, name_tokens, rest_world_matrices
from engine.errors import AssetError
from systems.capture.retarget import _continuous, _qconj, _qmul, _quat_from_matrix  # the capture domain's quaternion helpers

_SIDE_WORDS = {"l": "left", "left": "left", "r": "right", "right": "right"}
_NOISE = {"blendshape", "blendshapes", "blend", "shape", "shapes", "bs", "fcl", "arkit", "morph", "target", "key",
          "shapekey", "facial", "ue", "vrc", "v", "sk"}

# ARKit shape -> other keys (normalised as by `target_key`) tried when nothing matches the ARKit name itself.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "eyeBlinkLeft": ("eyeclosedleft", "eyecloseleft", "blinkleft", "winkleft", "blink"),
    "eyeBlinkRight": ("eyeclosedright", "eyecloseright", "blinkright", "winkright", "blink"),
    "eyeLookUpLeft": ("lookup",), "eyeLookUpRight": ("lookup",),
    "eyeLookDownLeft": ("lookdown",), "eyeLookDownRight": ("lookdown",),
    # The left eye looking out turns it to the character's left; the right eye looking in does too.
    "eyeLookOutLeft": ("lookleft",), "eyeLookInRight": ("lookleft",),
    "eyeLookInLeft": ("lookright",), "eyeLookOutRight": ("lookright",),
    "jawOpen": ("mouthopen", "aa", "ah", "a"),
    "mouthClose": ("mouthclosed",),
    "mouthFunnel": ("lipfunnel", "oh", "o"),
    "mouthPucker": ("lippucker", "ou", "uu", "u"),
    "cheekPuff": ("cheekpuffleft", "cheekpuffright"),
    "tongueOut": ("tonguelongstep1", "tongue"),
}


def target_key(name: str) -> str:
    """Lookup key of a morph target or ARKit name: lower-case words, exporter prefixes dropped, side at the end."""
    name = re.split(r"[.:|]", name)[-1]
    side = ""
    words = []
    for token in name_tokens(name):
        if token in _SIDE_WORDS:
            side = _SIDE_WORDS[token]
        elif token in ("a", "o", "u") or (token not in _NOISE and not token.isdigit() and len(token) > 1):
            words.append(token)  # single letters are exporter noise ("M_F00_...") except the VRM 0.x vowels
    return "".join(words) + side


_ARKIT_KEYS = [target_key(name) for name in ARKIT_BLENDSHAPES]


def match_arkit_targets(target_names: list[str]) -> np.ndarray:
    """(52,) int: for each ARKit shape (ARKit order) the index of the morph target it drives, or -1."""
    keys = [target_key(name) for name in target_names]
    first: dict[str, int] = {}
    for index, key in enumerate(keys):
        first.setdefault(key, index)
    # An exact (case-sensitive) ARKit spelling wins over other spellings of the same key.
    exact = {name: index for index, name in enumerate(target_names)}
    out = np.full(len(ARKIT_BLENDSHAPES), -1, np.int64)
    for shape, (arkit, key) in enumerate(zip(ARKIT_BLENDSHAPES, _ARKIT_KEYS)):
        if arkit in exact:
            out[shape] = exact[arkit]
        elif key in first:
            out[shape] = first[key]
        else:
            out[shape] = next((first[k] for k in SYNONYMS.get(arkit, ()) if k in first), -1)
    return out


def morph_weight_layout(asset: ModelAsset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(weight_offsets (N,), target_counts (N,), rest_weights (W,)): the same layout as `PreparedModel`."""
    offsets = np.full(len(asset.nodes), -1, np.int64)
    counts = np.zeros(len(asset.nodes), np.int64)
    rest = []
    cursor = 0
    for index, node in enumerate(asset.nodes):
        if node.mesh is None:
            continue
        mesh = asset.meshes[node.mesh]
        targets = max((p.morph_target_count for p in mesh.primitives), default=0)
        if not targets:
            continue
        weights = node.weights if node.weights is not None else mesh.default_weights
        if weights is None or len(weights) != targets:
            weights = np.zeros(targets, np.float32)
        offsets[index], counts[index] = cursor, targets
        rest.append(np.asarray(weights, np.float32))
        cursor += targets
    return offsets, counts, (np.concatenate(rest) if rest else np.zeros(0, np.float32))


def head_rotation_from_matrix(matrix, mirrored: bool = False) -> np.ndarray:
    """(..., 4) xyzw engine-frame head rotation from MediaPipe facial transformation matrices (..., 4, 4).

    The matrices map the canonical face into camera space (column vectors, camera looking down -Z, +Y up); only
    their rotation is used, made orthonormal first (polar decomposition). A face looking straight at the camera is
    the identity. `mirrored`: the image was a selfie-mirrored view, so X is flipped on both sides.
    """
    m = np.asarray(matrix, np.float64)[..., :3, :3]
    u, _, vt = np.linalg.svd(m)
    rotation = u @ vt
    if mirrored:
        flip = np.diag([-1.0, 1.0, 1.0])
        rotation = flip @ rotation @ flip
    return _quat_from_matrix(rotation)


def quat_power(q, fraction: float) -> np.ndarray:
    """The rotation `fraction` of the way from identity to q (slerp), (..., 4)."""
    q = np.asarray(q, np.float64)
    q = np.where(q[..., 3:] < 0, -q, q)  # the short way round
    angle = 2.0 * np.arctan2(np.linalg.norm(q[..., :3], axis=-1), q[..., 3])
    axis = q[..., :3] / np.maximum(np.linalg.norm(q[..., :3], axis=-1, keepdims=True), 1e-12)
    half = 0.5 * fraction * angle[..., None]
    return np.concatenate([axis * np.sin(half), np.cos(half)], axis=-1)


class FaceRetarget:
    """ARKit weights and head rotation onto one model: its morph-weight layout and (optionally) neck/head nodes."""

    def __init__(self, asset: ModelAsset, *, neck_share: float = 0.4, bone_map: dict[str, int] | None = None):
        self.asset = asset
        self.neck_share = float(neck_share)
        self.weight_offsets, self.target_counts, self.rest_weights = morph_weight_layout(asset)
        # (arkit shape, weight slot) pairs over every mesh node with named targets.
        shapes, slots = [], []
        self.mesh_nodes = [int(n) for n in np.flatnonzero(self.weight_offsets >= 0)]
        for node in self.mesh_nodes:
            names = asset.meshes[asset.nodes[node].mesh].target_names
            matched = match_arkit_targets(list(names)) if names else np.full(len(ARKIT_BLENDSHAPES), -1)
            for shape in np.flatnonzero((matched >= 0) & (matched < self.target_counts[node])):
                shapes.append(shape)
                slots.append(self.weight_offsets[node] + matched[shape])
        self.shapes = np.array(shapes, np.int64)
        self.slots = np.array(slots, np.int64)
        self.neck_node, self.head_node = self._neck_and_head(bone_map)
        world = rest_world_matrices(asset)
        self._rest_world = world

    @property
    def weight_count(self) -> int:
        return len(self.rest_weights)

    @property
    def matched_shapes(self) -> list[str]:
        return sorted({ARKIT_BLENDSHAPES[s] for s in self.shapes})

    def _neck_and_head(self, bone_map):
        try:
            mapping = bone_map if bone_map is not None else detect_bone_map(self.asset)
        except AssetError:  # a face-only model without a humanoid skeleton: no head rotation
            return None, None
        return mapping.get("neck"), mapping.get("head")

    def weights(self, arkit) -> np.ndarray:
        """ARKit weights (..., 52) -> the model's morph weights (..., W); unmatched slots keep the rest weights."""
        arkit = np.asarray(arkit, np.float64)
        out = np.broadcast_to(self.rest_weights.astype(np.float64), arkit.shape[:-1] + (self.weight_count,)).copy()
        if len(self.slots):
            values = np.clip(np.nan_to_num(arkit[..., self.shapes], nan=0.0), 0.0, 1.0)
            driven = np.zeros_like(out)
            np.maximum.at(np.moveaxis(driven, -1, 0), self.slots, np.moveaxis(values, -1, 0))
            touched = np.zeros(self.weight_count, bool)
            touched[self.slots] = True
            out[..., touched] = driven[..., touched]
        return out

    def head_neck_locals(self, rotation) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(neck local, head local) rotations (..., 4) for a head rotation (..., 4) relative to the body at rest;
        the neck takes `neck_share` of it and the head the rest. None for a node the model does not have."""
        rotation = np.asarray(rotation, np.float64)
        rotation = rotation / np.linalg.norm(rotation, axis=-1, keepdims=True)
        asset = self.asset
        if self.head_node is None:
            return None, None
        head_rest = np.asarray(asset.nodes[self.head_node].rotation, np.float64)
        if self.neck_node is None:
            return None, _qmul(head_rest, self._in_node_frame(self.head_node, rotation))
        neck_turn = quat_power(rotation, self.neck_share)
        neck_rest = np.asarray(asset.nodes[self.neck_node].rotation, np.float64)
        neck_local = _qmul(neck_rest, self._in_node_frame(self.neck_node, neck_turn))
        # The head's world turn is the whole rotation; after the neck's share, what is left, in the neck's frame.
        head_local = _qmul(self._in_node_frame(self.neck_node, _qmul(_qconj(neck_turn), rotation)), head_rest)
        return neck_local, head_local

    def _in_node_frame(self, node: int, world_turn):
        """A world-space turn expressed in `node`'s rest frame: W0^-1 · turn · W0."""
        rows = self._rest_world[node, :3, :3]
        w0 = _quat_from_matrix((rows / np.linalg.norm(rows, axis=1, keepdims=True)).T)
        return _qmul(_qmul(_qconj(w0), world_turn), w0)

    def clip(self, name: str, times, arkit, head_rotation=None) -> AnimationClip:
        """An `AnimationClip`: a LINEAR `weights` channel per mesh node with morph targets and, with a head
        rotation (F, 4), rotation channels for the neck and head. Times start at 0."""
        times = np.asarray(times, np.float64)
        times = (times - times[0]).astype(np.float32)
        weights = self.weights(arkit)
        channels = []
        for node in self.mesh_nodes:
            start, count = self.weight_offsets[node], self.target_counts[node]
            channels.append(AnimationChannel(node, "weights", "LINEAR", times,
                                             weights[:, start:start + count].astype(np.float32)))
        if head_rotation is not None:
            for node, local in zip((self.neck_node, self.head_node), self.head_neck_locals(head_rotation)):
                if node is not None and local is not None:
                    channels.append(AnimationChannel(node, "rotation", "LINEAR", times,
                                                     _continuous(local).astype(np.float32)))
        return AnimationClip(name, channels, extras={"retargeted": True})
