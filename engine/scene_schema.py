"""Validation of human-edited scene values, with errors that name entity and field.

Each scene component key (`camera`, `model`, ...) declares its fields as
`FieldRule`s; `validate_table` checks a TOML table against them and returns
clean Python values, raising `SceneError` with `entity 'x': key.field: problem`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine.errors import SceneError


@dataclass(frozen=True)
class FieldRule:
    kind: str  # number | int | bool | string | vec3 | vec4 | color | choice | keys | list | custom
    default: object = None
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple = ()
    exclusive_minimum: bool = False
    check: Callable | None = None  # custom: check(value, where, ctx) -> clean value, or raises ctx.fail(...)


def number(default=None, *, minimum=None, maximum=None, required=False, positive=False) -> FieldRule:
    return FieldRule("number", default, required, 0.0 if positive else minimum, maximum, exclusive_minimum=positive)


def integer(default=None, *, minimum=None, maximum=None, required=False) -> FieldRule:
    return FieldRule("int", default, required, minimum, maximum)


def boolean(default=None) -> FieldRule:
    return FieldRule("bool", default)


def string(default=None, *, required=False) -> FieldRule:
    return FieldRule("string", default, required)


def vec3(default=None, *, required=False) -> FieldRule:
    return FieldRule("vec3", default, required)


def color(default=None) -> FieldRule:
    """RGB or RGBA, 0..1 (values above 1 are allowed for emissive/HDR)."""
    return FieldRule("color", default)


def choice(*options, default=None) -> FieldRule:
    return FieldRule("choice", default, choices=options)


def cues() -> FieldRule:
    """A list of [time, "clip name"] switches."""
    return FieldRule("cues", [])


def keys(required=False) -> FieldRule:
    """A list of [time, [x, y, z]] keyframes."""
    return FieldRule("keys", None, required)


def custom(check: Callable, default=None, *, required=False) -> FieldRule:
    """A structured value its domain validates (curves, bursts): check(value, where, ctx) returns the clean value."""
    return FieldRule("custom", default, required, check=check)


class SceneContext:
    """Where we are, for error messages."""

    def __init__(self, path: str, entity: str = ""):
        self.path = path
        self.entity = entity

    def fail(self, where: str, problem: str) -> SceneError:
        prefix = f"entity '{self.entity}': " if self.entity else ""
        return SceneError(self.path, f"{prefix}{where}: {problem}")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check(rule: FieldRule, value, where: str, ctx: SceneContext):
    if rule.kind == "custom":
        return rule.check(value, where, ctx)
    if rule.kind in ("number", "int"):
        if not _is_number(value) or (rule.kind == "int" and not isinstance(value, int)):
            raise ctx.fail(where, f"expected {'an integer' if rule.kind == 'int' else 'a number'}, got {value!r}")
        if rule.minimum is not None and (value <= rule.minimum if rule.exclusive_minimum else value < rule.minimum):
            raise ctx.fail(where, f"must be {'>' if rule.exclusive_minimum else '>='} {rule.minimum:g}, got {value!r}")
        if rule.maximum is not None and value > rule.maximum:
            raise ctx.fail(where, f"must be <= {rule.maximum:g}, got {value!r}")
        return float(value) if rule.kind == "number" else int(value)
    if rule.kind == "bool":
        if not isinstance(value, bool):
            raise ctx.fail(where, f"expected true or false, got {value!r}")
        return value
    if rule.kind == "string":
        if not isinstance(value, str) or not value:
            raise ctx.fail(where, f"expected a non-empty string, got {value!r}")
        return value
    if rule.kind == "choice":
        if value not in rule.choices:
            raise ctx.fail(where, f"expected one of {', '.join(map(str, rule.choices))}, got {value!r}")
        return value
    if rule.kind in ("vec3", "color"):
        sizes = (3,) if rule.kind == "vec3" else (3, 4)
        if not isinstance(value, list) or len(value) not in sizes or not all(_is_number(v) for v in value):
            expected = "[x, y, z]" if rule.kind == "vec3" else "[r, g, b] or [r, g, b, a]"
            raise ctx.fail(where, f"expected {expected} numbers, got {value!r}")
        if rule.kind == "color" and any(v < 0 for v in value):
            raise ctx.fail(where, f"colour components must be >= 0, got {value!r}")
        return [float(v) for v in value]
    if rule.kind == "keys":
        if not isinstance(value, list) or len(value) < 1:
            raise ctx.fail(where, "expected a list of [time, [x, y, z]] keys")
        out = []
        for i, key in enumerate(value):
            ok = (isinstance(key, list) and len(key) == 2 and _is_number(key[0]) and isinstance(key[1], list)
                  and len(key[1]) == 3 and all(_is_number(v) for v in key[1]))
            if not ok:
                raise ctx.fail(f"{where}[{i}]", f"expected [time, [x, y, z]], got {key!r}")
            if out and key[0] <= out[-1][0]:
                raise ctx.fail(f"{where}[{i}]", f"key times must increase, {key[0]!r} follows {out[-1][0]!r}")
            out.append((float(key[0]), [float(v) for v in key[1]]))
        return out
    if rule.kind == "cues":
        if not isinstance(value, list):
            raise ctx.fail(where, "expected a list of [time, \"clip\"] cues")
        out = []
        for i, cue in enumerate(value):
            if not (isinstance(cue, list) and len(cue) == 2 and _is_number(cue[0]) and isinstance(cue[1], str)):
                raise ctx.fail(f"{where}[{i}]", f"expected [time, \"clip\"], got {cue!r}")
            if out and cue[0] <= out[-1][0]:
                raise ctx.fail(f"{where}[{i}]", f"cue times must increase, {cue[0]!r} follows {out[-1][0]!r}")
            out.append((float(cue[0]), cue[1]))
        return out
    raise AssertionError(rule.kind)


def validate_table(table, rules: dict[str, FieldRule], key: str, ctx: SceneContext) -> dict:
    if not isinstance(table, dict):
        raise ctx.fail(key, f"expected a table of fields, got {table!r}")
    unknown = set(table) - set(rules)
    if unknown:
        raise ctx.fail(f"{key}.{sorted(unknown)[0]}", f"unknown field (known: {', '.join(sorted(rules))})")
    values = {}
    for name, rule in rules.items():
        where = f"{key}.{name}"
        if name not in table:
            if rule.required:
                raise ctx.fail(where, "is required")
            values[name] = rule.default
            continue
        values[name] = _check(rule, table[name], where, ctx)
    return values


@dataclass
class SceneComponentType:
    """A scene key: its field rules and the function that applies validated values to an entity."""

    key: str
    rules: dict[str, FieldRule]
    apply: Callable  # apply(loader, entity_build, values) -> None
