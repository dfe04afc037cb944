"""Component declarations: named fields with a numpy dtype and a per-entity shape.

    @component
    class Transform:
        translation: Vec3
        rotation: Quat = (0, 0, 0, 1)

Each field becomes one contiguous column in every archetype table that holds the
component. `Transform.translation` is the `Field` used to address that column;
`Transform(translation=(1, 2, 3))` is a value to spawn or insert.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FieldType:
    dtype: np.dtype
    shape: tuple[int, ...] = ()

    def __call__(self, *shape: int) -> "FieldType":
        """`F32(64)` → a float32 field of shape (64,)."""
        return FieldType(self.dtype, tuple(shape))


F32 = FieldType(np.dtype(np.float32))
F64 = FieldType(np.dtype(np.float64))
I32 = FieldType(np.dtype(np.int32))
I64 = FieldType(np.dtype(np.int64))
U8 = FieldType(np.dtype(np.uint8))
U32 = FieldType(np.dtype(np.uint32))
Bool = FieldType(np.dtype(np.bool_))
EntityRef = FieldType(np.dtype(np.int64))  # an entity id; -1 = none
Vec2 = F32(2)
Vec3 = F32(3)
Vec4 = F32(4)
Quat = F32(4)  # (x, y, z, w)
Mat4 = F32(4, 4)  # GL layout, see engine.assets.model


class Field:
    """One column of a component: addresses it in table views (`view[Transform.translation]`)."""

    __slots__ = ("component", "name", "type", "default")

    def __init__(self, component: type, name: str, type_: FieldType, default):
        self.component = component
        self.name = name
        self.type = type_
        self.default = default

    def coerce(self, value) -> np.ndarray:
        """Validate one entity's value; raises ValueError with a readable reason."""
        array = np.asarray(value, dtype=self.type.dtype)
        if array.shape != self.type.shape:
            if array.size == int(np.prod(self.type.shape, dtype=np.int64)) and array.ndim <= 1 and self.type.shape:
                array = array.reshape(self.type.shape)
            else:
                expected = "a scalar" if not self.type.shape else f"shape {self.type.shape}"
                raise ValueError(f"expected {expected}, got {np.asarray(value).shape or 'a scalar'}")
        return array

    def __repr__(self) -> str:
        return f"{self.component.__name__}.{self.name}"


class ComponentValue:
    """Field values for one entity, made by calling a component class."""

    __slots__ = ("component", "values")

    def __init__(self, component: type, values: dict[str, np.ndarray]):
        self.component = component
        self.values = values

    def __repr__(self) -> str:
        return f"{self.component.__name__}({', '.join(f'{k}={v.tolist()}' for k, v in self.values.items())})"


class ComponentMeta(type):
    """Metaclass giving component classes their fields and value constructor."""

    __fields__: tuple[Field, ...]

    def __call__(cls, **kwargs) -> ComponentValue:
        unknown = set(kwargs) - {f.name for f in cls.__fields__}
        if unknown:
            raise TypeError(f"{cls.__name__} has no field(s) {sorted(unknown)}")
        values = {}
        for f in cls.__fields__:
            raw = kwargs.get(f.name, f.default)
            try:
                values[f.name] = f.coerce(raw)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{cls.__name__}.{f.name}: {exc}") from None
        return ComponentValue(cls, values)

    def __repr__(cls) -> str:
        return cls.__name__


def _zero_default(type_: FieldType):
    return np.zeros(type_.shape, type_.dtype)


def component(cls: type) -> ComponentMeta:
    """Class decorator turning annotated `FieldType`s into a component declaration."""
    annotations = cls.__dict__.get("__annotations__", {})
    module_globals = vars(__import__(cls.__module__, fromlist=["_"]))
    namespace = {k: v for k, v in cls.__dict__.items() if k not in ("__dict__", "__weakref__")}
    new_cls = ComponentMeta(cls.__name__, (), namespace)
    fields = []
    for name, annotation in annotations.items():
        type_ = eval(annotation, module_globals) if isinstance(annotation, str) else annotation  # noqa: S307 - own source
        if not isinstance(type_, FieldType):
            raise TypeError(f"{cls.__name__}.{name}: annotation must be a FieldType, got {type_!r}")
        default = cls.__dict__.get(name, _zero_default(type_))
        field = Field(new_cls, name, type_, default)
        field.coerce(default)  # a bad default is a programming error: fail at import
        fields.append(field)
        setattr(new_cls, name, field)
    new_cls.__fields__ = tuple(fields)
    return new_cls
