"""The canonical humanoid skeleton (VRM 1.0 bone names) and bone-map detection for any rig or BVH skeleton.

Canonical bones are the VRM 1.0 humanoid names: `hips`, `spine`, `chest`, `upperChest`, `neck`, `head`, `jaw`,
`leftEye`; per side `leftShoulder` (clavicle), `leftUpperArm`, `leftLowerArm`, `leftHand`, `leftUpperLeg`,
`leftLowerLeg`, `leftFoot`, `leftToes`; and fingers `leftThumbMetacarpal/Proximal/Distal`,
`left{Index,Middle,Ring,Little}{Proximal,Intermediate,Distal}` (and the same with `right`). A bone map is
`{canonical name: node index}`; a bone's *head* is its node's origin.

`detect_bone_map(asset)` uses the file's own humanoid map when it has one (VRM 0.x/1.0, Moviola's mannequin;
VRM 0.x thumb names and `Pinky` are translated), otherwise `detect_bone_map_from_names`, which reads names in the
common conventions (Mixamo, CMU/cgspeed BVH, DAZ/Poser, CMU ASF, VRM, Unreal, Blender/Rigify, 3ds Max Biped, the
Khronos CesiumMan/RiggedFigure rig), case-, separator- and prefix-insensitively, and falls back to the topology and
rest geometry (Y up, the character's left on +X) for whatever required bone the names leave out. An override
`{canonical name: node name}` always wins.
"""

from __future__ import annotations

import os
import re

import numpy as np

from engine.assets.model import ModelAsset
from engine.errors import AssetError

SIDES = ("left", "right")
_LIMB_PARTS = ("Shoulder", "UpperArm", "LowerArm", "Hand", "UpperLeg", "LowerLeg", "Foot", "Toes")
FINGER_NAMES = ("Thumb", "Index", "Middle", "Ring", "Little")
FINGER_SEGMENTS = {"Thumb": ("Metacarpal", "Proximal", "Distal"),
                   **{finger: ("Proximal", "Intermediate", "Distal") for finger in FINGER_NAMES[1:]}}
TORSO_BONES = ("spine", "chest", "upperChest")

# Canonical parent of every bone (the nearest *mapped* ancestor is used when a bone is missing; see `mapped_parent`).
HUMANOID_PARENT: dict[str, str | None] = {
    "hips": None, "spine": "hips", "chest": "spine", "upperChest": "chest", "neck": "upperChest", "head": "neck",
    "leftEye": "head", "rightEye": "head", "jaw": "head",
}
for _side in SIDES:
    HUMANOID_PARENT.update({
        f"{_side}UpperLeg": "hips", f"{_side}LowerLeg": f"{_side}UpperLeg", f"{_side}Foot": f"{_side}LowerLeg",
        f"{_side}Toes": f"{_side}Foot", f"{_side}Shoulder": "upperChest", f"{_side}UpperArm": f"{_side}Shoulder",
        f"{_side}LowerArm": f"{_side}UpperArm", f"{_side}Hand": f"{_side}LowerArm",
    })
    for _finger, _segments in FINGER_SEGMENTS.items():
        _parent = f"{_side}Hand"
        for _segment in _segments:
            HUMANOID_PARENT[f"{_side}{_finger}{_segment}"] = _parent
            _parent = f"{_side}{_finger}{_segment}"

# Parents come before children in this order.
HUMANOID_BONES: tuple[str, ...] = tuple(HUMANOID_PARENT)
REQUIRED_BONES: tuple[str, ...] = ("hips", "head", *(f"{side}{part}" for side in SIDES
                                                     for part in ("UpperArm", "LowerArm", "UpperLeg", "LowerLeg")))


def finger_bones(side: str, finger: str) -> tuple[str, str, str]:
    """The three canonical bones of one finger, root first: e.g. ("leftIndexProximal", ...)."""
    return tuple(f"{side}{finger}{segment}" for segment in FINGER_SEGMENTS[finger])  # type: ignore[return-value]


def mapped_parent(bone: str, bone_map: dict[str, int]) -> str | None:
    """The nearest canonical ancestor of `bone` present in `bone_map` (None for the hips)."""
    parent = HUMANOID_PARENT.get(bone)
    while parent is not None and parent not in bone_map:
        parent = HUMANOID_PARENT[parent]
    return parent


def missing_required(bone_map: dict[str, int]) -> list[str]:
    """Required bones absent from the map (the torso needs `spine` or `chest`)."""
    missing = [bone for bone in REQUIRED_BONES if bone not in bone_map]
    if "spine" not in bone_map and "chest" not in bone_map:
        missing.insert(1, "spine (or chest)")
    return missing


def canonical_humanoid_map(bones: dict[str, int]) -> dict[str, int]:
    """A declared humanoid map (VRM 0.x, VRM 1.0, Moviola) in canonical names; unknown names are dropped.

    VRM 0.x names thumbs Proximal/Intermediate/Distal where VRM 1.0 says Metacarpal/Proximal/Distal; a map with any
    `ThumbIntermediate` is read as VRM 0.x. `Pinky` is accepted for `Little`.
    """
    vrm0_thumbs = any(name.endswith("ThumbIntermediate") for name in bones)
    out: dict[str, int] = {}
    for name, node in bones.items():
        name = name.replace("Pinky", "Little")
        if vrm0_thumbs and "Thumb" in name:
            name = (name.replace("ThumbProximal", "ThumbMetacarpal").replace("ThumbIntermediate", "ThumbProximal"))
        if name in HUMANOID_PARENT:
            out[name] = int(node)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Rest geometry of a ModelAsset


def rest_world_matrices(asset: ModelAsset) -> np.ndarray:
    """(N, 4, 4) float64 rest world matrices of every node, GL layout (row vectors, `p_world = p @ M`)."""
    count = len(asset.nodes)
    world = np.zeros((count, 4, 4))
    for index, node in enumerate(asset.nodes):
        local = _trs_matrix(node.translation, node.rotation, node.scale)
        world[index] = local if node.parent < 0 else local @ world[node.parent]
    return world


def _trs_matrix(translation, rotation, scale) -> np.ndarray:
    x, y, z, w = np.asarray(rotation, np.float64) / max(np.linalg.norm(rotation), 1e-12)
    column_rotation = np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])
    matrix = np.eye(4)
    matrix[:3, :3] = np.asarray(scale, np.float64)[:, None] * column_rotation.T  # row-vector layout: S then R
    matrix[3, :3] = translation
    return matrix


def _bone_nodes(asset: ModelAsset) -> np.ndarray:
    """Mask of the nodes that can be bones: skin joints and their ancestors, or every node without a mesh/camera."""
    mask = np.array([node.mesh is None and node.camera is None for node in asset.nodes], bool)
    if asset.skins:
        joints = np.zeros(len(asset.nodes), bool)
        for skin in asset.skins:
            for joint in np.asarray(skin.joints, np.int64):
                node = int(joint)
                while node >= 0 and not joints[node]:
                    joints[node] = True
                    node = asset.nodes[node].parent
        mask &= joints
    return mask


def detect_bone_map(asset, override: dict[str, str | int] | None = None) -> dict[str, int]:
    """Canonical humanoid bone name -> node index for a loaded model (`ModelAsset`) or a BVH skeleton
    (`engine.capture.bvh.BvhMotion`, joint indices).

    A model's own humanoid map is used when it has one; otherwise names are matched (see the module docstring), with
    the topology/rest-geometry fallback for required bones the names do not give. `override` maps canonical names
    to node names (or indices) and wins over both. Raises `AssetError` naming the file and the missing bones when
    a required bone (hips, spine or chest, head, both upper/lower arms and legs) cannot be found.
    """
    if not isinstance(asset, ModelAsset):  # a BVH skeleton: names, parents and rest positions are all it has
        bone_map = detect_bone_map_from_names(asset.names, asset.parents, asset.rest_positions(), path=asset.path,
                                              check=False)
        names = list(asset.names)
    elif asset.humanoid_bones:
        bone_map = canonical_humanoid_map(asset.humanoid_bones)
        names = [node.name for node in asset.nodes]
    else:
        names = [node.name for node in asset.nodes]
        parents = np.array([node.parent for node in asset.nodes], np.int64)
        positions = rest_world_matrices(asset)[:, 3, :3]
        bone_map = detect_bone_map_from_names(names, parents, positions, path=asset.path,
                                              candidates=_bone_nodes(asset), check=False)
    bone_map = apply_override(bone_map, override, names, asset.path)
    require_bones(bone_map, asset.path)
    return bone_map


def apply_override(bone_map: dict[str, int], override: dict[str, str | int] | None, names: list[str],
                   path: str | os.PathLike | None) -> dict[str, int]:
    """`bone_map` with `override` (canonical -> node name or index) on top; unknown bones or nodes are errors."""
    if not override:
        return dict(bone_map)
    out = dict(bone_map)
    for bone, node in override.items():
        if bone not in HUMANOID_PARENT:
            raise AssetError(path, f"bone map override names unknown humanoid bone '{bone}' "
                                   f"(use VRM names such as 'leftUpperArm')")
        if isinstance(node, (int, np.integer)):
            if not 0 <= int(node) < len(names):
                raise AssetError(path, f"bone map override '{bone}': node index {node} out of range")
            index = int(node)
        elif node in names:
            index = names.index(node)
        else:
            raise AssetError(path, f"bone map override '{bone}': no node named '{node}'")
        out = {name: value for name, value in out.items() if value != index}  # a node plays one role only
        out[bone] = index
    return out


def require_bones(bone_map: dict[str, int], path) -> None:
    """Raise `AssetError` naming `path` and the required bones `bone_map` lacks."""
    missing = missing_required(bone_map)
    if missing:
        raise AssetError(path, f"cannot find humanoid bones: {', '.join(missing)} "
                               f"(pass a bone map override, canonical name -> node name)")


# ---------------------------------------------------------------------------------------------------------------
# Name matching

_TOKEN = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
# Nodes that are helpers, not the bone itself (end sites, twist/roll bones, IK targets).
_HELPER_TOKENS = {"end", "nub", "tip", "site", "twist", "roll", "ik", "ctrl", "control", "target", "pole", "helper",
                  "dummy", "null", "top", "socket", "prop", "weapon", "attach"}
# Tokens that carry no meaning: exporter prefixes and filler words.
_NOISE_TOKENS = {"mixamorig", "bip", "j", "c", "def", "org", "mch", "armature", "skeleton", "rig", "bone", "bn",
                 "sk", "cc", "base", "bend", "jnt", "valvebiped", "character", "ch", "b"}
_CONNECTOR_TOKENS = {"joint", "jnt"}

# key (tokens joined) -> (role, priority); roles: a canonical centre bone, a torso/neck group, or a side part.
_CENTRE_KEYS = {
    "hips": ("hips", 0), "hip": ("hips", 1), "pelvis": ("hips", 2), "root": ("hips", 3),
    **{key: ("torso", 0) for key in (
        "spine", "lowerback", "upperback", "thorax", "abdomen", "abdomenlower", "abdomenupper", "chest",
        "chestlower", "chestupper", "upperchest", "torso", "back", "waist", "lowerspine", "upperspine", "midspine",
        "tummy", "belly", "ribcage", "stomach", "spinelower", "spineupper")},
    **{key: ("neckgroup", 0) for key in ("neck", "lowerneck", "upperneck", "necklower", "neckupper", "neckbase")},
    "head": ("head", 0), "jaw": ("jaw", 0),
}
_SIDE_KEYS = {
    **{key: ("Shoulder", 0) for key in ("clavicle", "collar", "clav", "collarbone")},
    "shoulder": ("shoulder?", 0),  # Mixamo: clavicle; CMU cgspeed: upper arm (resolved per side)
    "arm": ("arm?", 0),  # Mixamo LeftArm = upper arm; several on one side = a whole-arm chain (CesiumMan)
    **{key: ("UpperArm", 0) for key in ("upperarm", "uparm", "humerus", "shldr", "armupper")},
    **{key: ("LowerArm", 0) for key in ("forearm", "lowerarm", "elbow", "radius", "lowarm", "armlower", "ulna")},
    **{key: ("Hand", 0) for key in ("hand", "wrist")},
    **{key: ("UpperLeg", 0) for key in ("upleg", "upperleg", "thigh", "femur", "hip", "legupper")},
    "leg": ("leg?", 0),  # Mixamo LeftLeg = lower leg; several on one side = a whole-leg chain (CesiumMan)
    **{key: ("LowerLeg", 0) for key in ("lowerleg", "knee", "shin", "calf", "tibia", "loleg", "leglower")},
    **{key: ("Foot", 0) for key in ("foot", "ankle")},
    **{key: ("Toes", 0) for key in ("toe", "toes", "toebase", "ball")},
    "eye": ("Eye", 0),
    "hipjoint": ("ignore", 0),  # CMU's LHipJoint: a pelvis-side helper between the hips and the thigh
}
_FINGER_WORDS = {"thumb": "Thumb", "index": "Index", "middle": "Middle", "ring": "Ring", "pinky": "Little",
                 "pinkie": "Little", "little": "Little"}
_SEGMENT_WORDS = {"metacarpal", "proximal", "intermediate", "distal"}


def name_tokens(name: str) -> list[str]:
    """Lower-case word and number tokens of a bone name (camelCase, separators and digits split)."""
    return [token.lower() for token in _TOKEN.findall(name)]


def classify_name(name: str) -> tuple[str | None, str, str | None, int] | None:
    """(side or None, role, finger or None, priority) for one bone name, or None when the name says nothing usable.

    Roles: a centre bone ("hips", "head", "jaw"), a group resolved by structure ("torso", "neckgroup"), a side part
    ("UpperArm", ..., or the ambiguous "shoulder?", "arm?", "leg?"), "finger" (finger given) or "ignore". Among
    several candidates for one role the lowest priority wins (hips: "Hips" before "hip", "pelvis", "root").
    """
    tokens = name_tokens(name)
    if not tokens or any(token in _HELPER_TOKENS for token in tokens):
        return None
    side = None
    words = []
    for token in tokens:
        if token in ("left", "l") and side is None:
            side = "left"
        elif token in ("right", "r") and side is None:
            side = "right"
        elif token not in _NOISE_TOKENS and not token.isdigit():
            words.append(token)
    if not words:
        return None
    if side is None:  # glued side prefixes: "lfemur", "rhand", "leftupleg"
        glued = "".join(words)
        for prefix, prefix_side in (("left", "left"), ("right", "right"), ("l", "left"), ("r", "right")):
            rest = glued[len(prefix):]
            if glued.startswith(prefix) and (rest in _SIDE_KEYS or rest in _FINGER_WORDS or rest == "fingers"):
                side, words = prefix_side, [rest]
                break
    fingers = [_FINGER_WORDS[word] for word in words if word in _FINGER_WORDS]
    if fingers:
        if side is None or ("metacarpal" in words and fingers[0] != "Thumb"):
            return None  # a side-less finger, or a non-thumb metacarpal (Unreal 5) outside the VRM chain
        return side, "finger", fingers[0], 0
    words = [word for word in words if word not in _SEGMENT_WORDS]
    for key in ("".join(words), "".join(word for word in words if word not in _CONNECTOR_TOKENS)):
        if side is None and key in _CENTRE_KEYS:
            return None, *_CENTRE_KEYS[key][:1], None, _CENTRE_KEYS[key][1]
        if side is not None and key in _SIDE_KEYS:
            role = _SIDE_KEYS[key][0]
            return (None, "ignore", None, 0) if role == "ignore" else (side, role, None, 0)
    return None


def detect_bone_map_from_names(names: list[str], parents, rest_positions, *, path=None, candidates=None,
                               check: bool = True) -> dict[str, int]:
    """Canonical bone -> index for any skeleton given as names, parent indices (parents first) and rest positions.

    Names are matched first; required bones they leave out come from `topology_bone_map`. `candidates` (bool mask)
    limits which nodes may be bones. With `check`, missing required bones raise `AssetError` naming `path`.
    """
    parents = np.asarray(parents, np.int64)
    positions = np.asarray(rest_positions, np.float64)
    if candidates is None:
        candidates = np.ones(len(names), bool)
    skeleton = _Skeleton(parents, positions)
    bone_map = _match_names(names, skeleton, np.asarray(candidates, bool))
    if missing_required(bone_map):
        used = set(bone_map.values())
        for bone, node in topology_bone_map(parents, positions, candidates).items():
            if bone not in bone_map and node not in used:
                bone_map[bone] = node
                used.add(node)
    if check:
        require_bones(bone_map, path)
    return {bone: bone_map[bone] for bone in HUMANOID_BONES if bone in bone_map}


class _Skeleton:
    """Parent/children/depth lookups and rest geometry shared by the name and topology passes."""

    def __init__(self, parents: np.ndarray, positions: np.ndarray):
        self.parents = parents
        self.positions = positions
        self.children: list[list[int]] = [[] for _ in parents]
        self.depth = np.zeros(len(parents), np.int64)
        for node, parent in enumerate(parents):
            if parent >= 0:
                self.children[parent].append(node)
                self.depth[node] = self.depth[parent] + 1
        extent = np.ptp(positions, axis=0).max() if len(positions) else 1.0
        self.epsilon = 1e-4 * max(float(extent), 1e-9)  # "same position" tolerance, relative to the rig's size

    def ancestors(self, node: int) -> list[int]:
        out = []
        node = int(self.parents[node])
        while node >= 0:
            out.append(node)
            node = int(self.parents[node])
        return out

    def is_ancestor(self, ancestor: int, node: int) -> bool:
        return ancestor in self.ancestors(node)

    def path_between(self, ancestor: int, node: int) -> list[int]:
        """Nodes strictly between `ancestor` and `node`, root first ([] when not an ancestor)."""
        chain = self.ancestors(node)
        return list(reversed(chain[:chain.index(ancestor)])) if ancestor in chain else []

    def common_ancestor(self, a: int, b: int) -> int:
        seen = set([a] + self.ancestors(a))
        for node in [b] + self.ancestors(b):
            if node in seen:
                return node
        return -1

    def distinct(self, chain: list[int]) -> list[int]:
        """`chain` without zero-length helper joints: nodes sitting at their parent's position (CMU's LHipJoint,
        lowerback, lowerneck, collars, lhand). The parent, whose rotation moves the next segment, is kept."""
        return [node for node in chain if self.parents[node] < 0 or
                np.linalg.norm(self.positions[node] - self.positions[self.parents[node]]) > self.epsilon]


def _match_names(names: list[str], skeleton: _Skeleton, candidates: np.ndarray) -> dict[str, int]:
    centre: dict[str, list[tuple[int, int, int]]] = {}  # role -> [(priority, depth, node)]
    sided: dict[tuple[str, str], list[tuple[int, int, int]]] = {}
    fingers: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for node, name in enumerate(names):
        if not candidates[node]:
            continue
        found = classify_name(name)
        if found is None:
            continue
        side, role, finger, priority = found
        depth = int(skeleton.depth[node])
        if role == "finger":
            fingers.setdefault((side, finger), []).append((depth, node))
        elif role == "ignore":
            continue
        elif side is None:
            centre.setdefault(role, []).append((priority, depth, node))
        else:
            sided.setdefault((side, role), []).append((priority, depth, node))

    bone_map: dict[str, int] = {}
    for side in SIDES:
        _resolve_side(side, sided, bone_map, skeleton)
    _resolve_centre(centre, bone_map, skeleton)
    for (side, finger), found in fingers.items():
        hand = bone_map.get(f"{side}Hand")
        chain = [node for _, node in sorted(found) if hand is None or skeleton.is_ancestor(hand, node)]
        for bone, node in zip(finger_bones(side, finger), chain):
            bone_map[bone] = node
    return bone_map


def _best(found: list[tuple[int, int, int]] | None) -> int | None:
    return min(found)[2] if found else None


def _resolve_side(side: str, sided: dict, bone_map: dict[str, int], skeleton: _Skeleton) -> None:
    def get(role):
        return sided.get((side, role), [])

    # A lone "Arm"/"Leg" is Mixamo's upper arm / lower leg; several on one side name a whole limb chain.
    arms, legs = get("arm?"), get("leg?")
    explicit = {part: _best(get(part)) for part in _LIMB_PARTS}
    if len(arms) == 1 and explicit["UpperArm"] is None:
        explicit["UpperArm"] = arms[0][2]
    if len(legs) == 1 and explicit["LowerLeg"] is None:
        explicit["LowerLeg"] = legs[0][2]
    shoulders = get("shoulder?")
    if shoulders:
        # CMU cgspeed: LeftCollar -> LeftShoulder -> LeftElbow, so "shoulder" is the upper arm when nothing else is.
        role = "UpperArm" if explicit["UpperArm"] is None and len(arms) < 2 else "Shoulder"
        if explicit[role] is None:
            explicit[role] = _best(shoulders)
    for part, node in explicit.items():
        if node is not None:
            bone_map[side + part] = node
    eye = _best(get("Eye"))
    if eye is not None:
        bone_map[side + "Eye"] = eye
    for found, parts in ((arms, ("UpperArm", "LowerArm", "Hand")), (legs, ("UpperLeg", "LowerLeg", "Foot", "Toes"))):
        if len(found) >= 2:
            chain = skeleton.distinct([node for _, _, node in sorted(found, key=lambda f: f[1])])
            for part, node in zip(parts, _limb_segments(chain, skeleton.positions, len(parts))):
                if node is not None:
                    bone_map.setdefault(side + part, node)


def _limb_segments(chain: list[int], positions: np.ndarray, count: int) -> list[int | None]:
    """Upper/lower/end (+ next) joints of a limb chain: the upper and lower bones are the longest consecutive pair."""
    if len(chain) < 3:
        return (chain + [None] * count)[:count]
    lengths = np.linalg.norm(np.diff(positions[chain], axis=0), axis=1)
    start = int(np.argmax(lengths[:-1] + lengths[1:]))
    picked = chain[start:start + count]
    return picked + [None] * (count - len(picked))


def _resolve_centre(centre: dict, bone_map: dict[str, int], skeleton: _Skeleton) -> None:
    legs = [bone_map[f"{side}UpperLeg"] for side in SIDES if f"{side}UpperLeg" in bone_map]
    hips = None
    for _, _, node in sorted(centre.get("hips", [])):
        if all(skeleton.is_ancestor(node, leg) for leg in legs):  # Unreal's "root" sits above the pelvis
            hips = node
            break
    if hips is None and len(legs) == 2:
        hips = skeleton.common_ancestor(*legs)  # CesiumMan: the torso joint the legs hang from
    if hips is None or hips < 0:
        return
    bone_map["hips"] = hips
    heads = [node for _, _, node in sorted(centre.get("head", [])) if skeleton.is_ancestor(hips, node)]
    necks = sorted((skeleton.depth[n], n) for _, _, n in centre.get("neckgroup", []) if skeleton.is_ancestor(hips, n))
    if heads:
        head = heads[0]
    elif len(necks) >= 2:
        head = necks[-1][1]  # CesiumMan: neck_joint_1 -> neck_joint_2 (the head)
    else:
        return
    bone_map["head"] = head
    between = skeleton.path_between(hips, head)
    neck_chain = skeleton.distinct([n for _, n in necks if n in between])
    if neck_chain:
        bone_map["neck"] = neck_chain[0]
    torso_nodes = {node for _, _, node in centre.get("torso", [])}
    torso = skeleton.distinct([node for node in between if node in torso_nodes])
    for bone, node in zip(TORSO_BONES, _torso_assignment(torso)):
        if node is not None:
            bone_map[bone] = node
    jaws = [node for _, _, node in sorted(centre.get("jaw", [])) if skeleton.is_ancestor(head, node)]
    if jaws:
        bone_map["jaw"] = jaws[0]


def _torso_assignment(torso: list[int]) -> list[int | None]:
    """spine, chest, upperChest from the torso joints between hips and neck, root first."""
    if len(torso) <= 3:
        return (torso + [None, None, None])[:3]
    return [torso[0], torso[len(torso) // 2], torso[-1]]


# ---------------------------------------------------------------------------------------------------------------
# Topology + rest geometry fallback


def topology_bone_map(parents, rest_positions, candidates=None) -> dict[str, int]:
    """Bones from structure alone (rigs whose names say nothing); Y is up and the character's left is +X.

    The hips are the root-most joint with three or more child chains; of its chains the two reaching lowest are the
    legs (left = larger x), the one reaching highest is the spine. The spine runs to the first joint that branches;
    there, the two most lateral chains are the arms and the highest central one the neck and head. In a limb chain
    the upper and lower bones are the longest consecutive pair of segments; zero-length helper joints are skipped.
    """
    parents = np.asarray(parents, np.int64)
    positions = np.asarray(rest_positions, np.float64)
    skeleton = _Skeleton(parents, positions)
    allowed = np.ones(len(parents), bool) if candidates is None else np.asarray(candidates, bool)
    children = [[c for c in kids if allowed[c]] for kids in skeleton.children]
    subtree = _subtrees(children, len(parents))

    def chains(node):
        return [child for child in children[node] if len(subtree[child]) >= 2]

    near = 0.05 * max(float(np.ptp(positions[:, 1])), 1e-9)

    def branches(node):
        """Child chains, looking through a chain that splits right at this joint (DAZ: hip -> pelvis -> thighs)."""
        out = []
        for child in chains(node):
            if np.linalg.norm(positions[child] - positions[node]) < near and len(chains(child)) >= 2:
                out.extend(branches(child))
            else:
                out.append(child)
        return out

    order = sorted((int(skeleton.depth[n]), -len(subtree[n]), n) for n in range(len(parents)) if allowed[n])
    for _, _, hips in order:
        found = branches(hips)
        if len(found) < 3:
            continue
        low = sorted(found, key=lambda b: positions[subtree[b]][:, 1].min())
        legs, rest = low[:2], low[2:]
        spine_branch = max(rest, key=lambda b: positions[subtree[b]][:, 1].max())
        hips_y = positions[hips, 1]
        if max(positions[subtree[leg]][:, 1].min() for leg in legs) >= hips_y or \
                positions[subtree[spine_branch]][:, 1].max() <= hips_y:
            continue
        return _topology_map(hips, legs, spine_branch, skeleton, children, subtree)
    return {}


def _subtrees(children: list[list[int]], count: int) -> list[list[int]]:
    subtree: list[list[int]] = [[] for _ in range(count)]
    for node in reversed(range(count)):  # parents come first, so children are complete when a parent is reached
        subtree[node] = [node] + [n for child in children[node] for n in subtree[child]]
    return subtree


def _main_chain(start: int, children, subtree, stop_at_branch: bool) -> list[int]:
    """From `start` down the largest child subtree until a leaf (or the first joint with 2+ child chains)."""
    chain = [start]
    node = start
    while children[node]:
        if stop_at_branch and sum(len(subtree[c]) >= 2 for c in children[node]) >= 2:
            break
        node = max(children[node], key=lambda c: len(subtree[c]))
        chain.append(node)
    return chain


def _topology_map(hips, legs, spine_branch, skeleton: _Skeleton, children, subtree) -> dict[str, int]:
    positions = skeleton.positions
    out = {"hips": hips}
    legs = sorted(legs, key=lambda b: -positions[subtree[b]][:, 0].mean())  # left (+x) first
    for side, branch in zip(SIDES, legs):
        chain = skeleton.distinct(_main_chain(branch, children, subtree, False))
        for part, node in zip(("UpperLeg", "LowerLeg", "Foot", "Toes"), _limb_segments(chain, positions, 4)):
            if node is not None:
                out[side + part] = node
    spine_chain = _main_chain(spine_branch, children, subtree, True)
    split = spine_chain[-1]
    for bone, node in zip(TORSO_BONES, _torso_assignment(skeleton.distinct(spine_chain))):
        if node is not None:
            out[bone] = node
    branches = [c for c in children[split] if len(subtree[c]) >= 1]
    if len(branches) < 3:
        return out
    split_x = positions[split, 0]
    lateral = {b: positions[subtree[b]][:, 0] - split_x for b in branches}
    left_arm = max(branches, key=lambda b: lateral[b].max())
    right_arm = min(branches, key=lambda b: lateral[b].min())
    central = [b for b in branches if b not in (left_arm, right_arm)]
    if central and left_arm != right_arm:
        neck_branch = max(central, key=lambda b: positions[subtree[b]][:, 1].max())
        neck_chain = skeleton.distinct(_main_chain(neck_branch, children, subtree, True))
        ends_at_leaf = not children[neck_chain[-1]] if neck_chain else False
        if len(neck_chain) == 1:
            out["head"] = neck_chain[0]
        elif len(neck_chain) >= 2:
            out["neck"] = neck_chain[0]
            out["head"] = neck_chain[-2] if ends_at_leaf and len(neck_chain) >= 3 else neck_chain[-1]
    for side, branch in (("left", left_arm), ("right", right_arm)):
        chain = skeleton.distinct(_main_chain(branch, children, subtree, True))
        if len(chain) < 2:
            continue
        lengths = np.linalg.norm(np.diff(positions[chain], axis=0), axis=1)
        start = int(np.argmax(lengths[:-1] + lengths[1:])) if len(chain) >= 3 else 0
        if start >= 1:
            out[side + "Shoulder"] = chain[start - 1]
        for part, node in zip(("UpperArm", "LowerArm", "Hand"), chain[start:start + 3]):
            out[side + part] = node
    return out
