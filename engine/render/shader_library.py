"""GLSL program loading: `#include`, `#define` variants, a program cache and hot reload.

Shader files live in one directory (``shaders/`` at the repository root). A
program is a (vertex file, fragment file, defines) triple. Sources are expanded
in Python: ``#include "name.glsl"`` pastes a file once per stage (later includes
of the same file are skipped, which also breaks include cycles), and defines are
injected right after ``#version``. Each expanded line remembers the file and
line it came from so driver errors can be rewritten as ``file.glsl:LINE``.

Hot reload: `reload_changed()` recompiles programs whose files changed on disk;
a new program replaces the old one only if it compiles and links, otherwise the
old one keeps running and the error is returned (and logged).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import moderngl

log = logging.getLogger(__name__)

DEFAULT_SHADER_DIR = Path(__file__).resolve().parents[2] / "shaders"

_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"\s*$')
_VERSION = re.compile(r"^\s*#\s*version\b")
# Driver log prefixes carrying (source string, line): Mesa/AMD "0:12(5):" or
# "ERROR: 0:12:", NVIDIA "0(12) :".
_DRIVER_LOCATION = re.compile(r"\b(\d+)(?::(\d+)\((\d+)\)|:(\d+):|\((\d+)\))")

Defines = Mapping[str, object]


class ShaderError(Exception):
    """A shader failed to preprocess, compile or link. The message names file:line."""


@dataclass
class ExpandedSource:
    """One stage's source after include/define expansion."""

    text: str
    origins: list[tuple[str, int]]  # per output line (1-based index - 1): (file, line)
    files: set[Path]  # every file read, for hot-reload dependency tracking


@dataclass(eq=False)
class ShaderProgram:
    """A cached program. `program` may be swapped by hot reload; `generation`
    counts swaps so users holding objects built against the old program
    (vertex arrays) know to rebuild them."""

    vertex: str
    fragment: str
    defines: tuple[tuple[str, str], ...]
    program: moderngl.Program
    dependencies: dict[Path, float] = field(default_factory=dict)  # file -> mtime at compile
    generation: int = 0

    @property
    def label(self) -> str:
        variant = ",".join(f"{k}={v}" for k, v in self.defines)
        return f"{self.vertex}+{self.fragment}" + (f"[{variant}]" if variant else "")

    def set_uniforms(self, values: Mapping[str, object]) -> None:
        """Set uniforms, skipping ones the compiler removed (variants drop some)."""
        program = self.program
        for name, value in values.items():
            member = program.get(name, None)
            if member is not None:
                member.value = value


@dataclass
class ReloadReport:
    reloaded: list[str] = field(default_factory=list)  # program labels swapped in
    errors: list[str] = field(default_factory=list)  # one message per failed program


class ShaderLibrary:
    """Finds, expands, compiles and caches programs from `shader_dir`.

    `fixed_bindings` maps sampler uniforms to texture units and uniform blocks
    to binding points; GLSL 330 cannot declare those in the source, so they are
    applied to every program right after it links (including reloads).
    """

    def __init__(
        self,
        ctx: moderngl.Context,
        shader_dir: str | os.PathLike = DEFAULT_SHADER_DIR,
        fixed_bindings: Mapping[str, int] | None = None,
    ):
        self.ctx = ctx
        self.shader_dir = Path(shader_dir).resolve()
        if not self.shader_dir.is_dir():
            raise ShaderError(f"{self.shader_dir}: shader directory not found")
        self.fixed_bindings = dict(fixed_bindings or {})
        self._programs: dict[tuple, ShaderProgram] = {}

    # ------------------------------------------------------------------ loading
    def program(self, vertex: str, fragment: str, defines: Defines | None = None) -> ShaderProgram:
        """The cached program for this file pair and define set (compiled on first use)."""
        normalized = _normalize_defines(defines)
        key = (vertex, fragment, normalized)
        cached = self._programs.get(key)
        if cached is None:
            program, dependencies = self._build(vertex, fragment, normalized)
            cached = ShaderProgram(vertex, fragment, normalized, program, dependencies)
            self._programs[key] = cached
        return cached

    def expand(self, name: str, defines: Defines | None = None) -> ExpandedSource:
        """Expand one shader file: includes pasted once, defines after #version."""
        define_lines = [f"#define {k} {v}" for k, v in _normalize_defines(defines)]
        out_lines: list[str] = []
        origins: list[tuple[str, int]] = []
        files: set[Path] = set()
        included: set[Path] = set()

        def paste(path: Path, display: str, include_site: tuple[str, int] | None) -> None:
            included.add(path)
            files.add(path)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                where = f"{include_site[0]}:{include_site[1]}: " if include_site else ""
                raise ShaderError(f"{where}cannot read shader {display}: {exc.strerror}") from None
            for number, line in enumerate(text.splitlines(), start=1):
                match = _INCLUDE.match(line)
                if match:
                    target = self._resolve_include(match.group(1), path, (display, number))
                    if target not in included:
                        paste(target, self._display_name(target), (display, number))
                    continue
                out_lines.append(line)
                origins.append((display, number))
                if _VERSION.match(line) and include_site is None:
                    out_lines.extend(define_lines)
                    origins.extend([("<defines>", i + 1) for i in range(len(define_lines))])

        paste(self._find(name), name, None)
        if not out_lines or not _VERSION.match(out_lines[0]):
            raise ShaderError(f"{name}:1: the first line must be #version")
        return ExpandedSource("\n".join(out_lines) + "\n", origins, files)

    # --------------------------------------------------------------- hot reload
    def reload_changed(self) -> ReloadReport:
        """Recompile programs whose source files changed; swap only on success."""
        report = ReloadReport()
        mtimes: dict[Path, float] = {}
        for entry in self._programs.values():
            current = {path: mtimes.setdefault(path, _mtime(path)) for path in entry.dependencies}
            if current == entry.dependencies:
                continue
            try:
                program, dependencies = self._build(entry.vertex, entry.fragment, entry.defines)
            except ShaderError as exc:
                # Remember these mtimes so a broken file is reported once, not every frame.
                entry.dependencies = current
                report.errors.append(str(exc))
                log.error("shader reload failed, keeping previous program: %s", exc)
                continue
            entry.program.release()
            entry.program = program
            entry.dependencies = dependencies
            entry.generation += 1
            report.reloaded.append(entry.label)
            log.info("shader reloaded: %s", entry.label)
        return report

    def release(self) -> None:
        for entry in self._programs.values():
            entry.program.release()
        self._programs.clear()

    # ----------------------------------------------------------------- internal
    def _build(self, vertex: str, fragment: str, defines: tuple) -> tuple[moderngl.Program, dict[Path, float]]:
        stages = {
            "vertex_shader": self.expand(vertex, dict(defines)),
            "fragment_shader": self.expand(fragment, dict(defines)),
        }
        try:
            program = self.ctx.program(**{stage: src.text for stage, src in stages.items()})
        except moderngl.Error as exc:
            raise ShaderError(_explain_driver_error(str(exc), vertex, fragment, stages)) from None
        for name, binding in self.fixed_bindings.items():
            member = program.get(name, None)
            if isinstance(member, moderngl.UniformBlock):
                member.binding = binding
            elif member is not None:
                member.value = binding
        files = stages["vertex_shader"].files | stages["fragment_shader"].files
        return program, {path: _mtime(path) for path in files}

    def _find(self, name: str) -> Path:
        path = (self.shader_dir / name).resolve()
        if not path.is_file():
            raise ShaderError(f"{name}: shader file not found in {self.shader_dir}")
        return path

    def _resolve_include(self, target: str, including: Path, site: tuple[str, int]) -> Path:
        for base in (including.parent, self.shader_dir):
            candidate = (base / target).resolve()
            if candidate.is_file():
                return candidate
        raise ShaderError(f'{site[0]}:{site[1]}: #include "{target}" not found')

    def _display_name(self, path: Path) -> str:
        try:
            return path.relative_to(self.shader_dir).as_posix()
        except ValueError:
            return str(path)


def _normalize_defines(defines: Defines | None) -> tuple[tuple[str, str], ...]:
    if not defines:
        return ()
    return tuple(sorted((str(k), str(int(v)) if isinstance(v, bool) else str(v)) for k, v in defines.items()))


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


def _explain_driver_error(message: str, vertex: str, fragment: str, stages: dict[str, ExpandedSource]) -> str:
    """Rewrite driver line numbers (in expanded source) as original file:line."""
    # moderngl's message names the failing stage ("vertex_shader" / "fragment_shader").
    stage = next((s for s in stages if s in message), None)
    origins = stages[stage].origins if stage else None

    def relocate(match: re.Match) -> str:
        line_text = match.group(2) or match.group(4) or match.group(5)
        line = int(line_text)
        if origins is None or not 1 <= line <= len(origins):
            return match.group(0)
        file, original = origins[line - 1]
        column = f"({match.group(3)})" if match.group(3) else ""
        return f"{file}:{original}{column}"

    details = "\n".join(
        _DRIVER_LOCATION.sub(relocate, line, count=1)
        for line in message.splitlines()
        if line.strip()
        and not set(line.strip()) <= {"="}
        and line.strip() not in stages
        and line.strip() != "GLSL Compiler failed"
    )
    return f"shader program {vertex}+{fragment} failed to build:\n{details}"
