"""Shader library: includes, defines, program cache, error locations, hot reload."""

from __future__ import annotations

import os

import pytest

from engine.render.shader_library import DEFAULT_SHADER_DIR, ShaderError, ShaderLibrary

VERTEX = """#version 330 core
#include "common.glsl"
in vec2 a_position;
void main() { gl_Position = vec4(a_position * SCALE, 0.0, 1.0); }
"""
FRAGMENT = """#version 330 core
#include "common.glsl"
#include "lib/tint.glsl"
out vec4 f_color;
void main() { f_color = tint(); }
"""
COMMON = """#ifndef SCALE
#define SCALE 1.0
#endif
"""
TINT = """#include "../common.glsl"
uniform vec4 u_tint;
vec4 tint() { return u_tint * SCALE; }
"""


@pytest.fixture
def shader_dir(tmp_path):
    (tmp_path / "lib").mkdir()
    for name, text in {
        "quad.vert": VERTEX,
        "quad.frag": FRAGMENT,
        "common.glsl": COMMON,
        "lib/tint.glsl": TINT,
    }.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def write_later(path, text):
    """Rewrite a file with an mtime that certainly differs from the old one."""
    old = path.stat().st_mtime
    path.write_text(text)
    os.utime(path, (old + 10, old + 10))


def test_includes_are_pasted_once_and_defines_follow_version(gl_ctx, shader_dir):
    library = ShaderLibrary(gl_ctx, shader_dir)
    expanded = library.expand("quad.frag", {"SCALE": 2.0, "SKINNED": True})
    lines = expanded.text.splitlines()
    assert lines[:3] == ["#version 330 core", "#define SCALE 2.0", "#define SKINNED 1"]
    assert expanded.text.count("#ifndef SCALE") == 1  # common.glsl included twice, pasted once
    assert "#include" not in expanded.text
    assert {p.name for p in expanded.files} == {"quad.frag", "common.glsl", "tint.glsl"}
    # Every output line knows where it came from.
    assert expanded.origins[lines.index("uniform vec4 u_tint;")] == ("lib/tint.glsl", 2)


def test_program_cache_is_keyed_by_files_and_defines(gl_ctx, shader_dir):
    library = ShaderLibrary(gl_ctx, shader_dir)
    plain = library.program("quad.vert", "quad.frag")
    assert library.program("quad.vert", "quad.frag", {}) is plain
    scaled = library.program("quad.vert", "quad.frag", {"SCALE": 2.0})
    assert scaled is not plain
    assert library.program("quad.vert", "quad.frag", {"SCALE": "2.0"}) is scaled
    library.release()


def test_compile_error_names_the_original_file_and_line(gl_ctx, shader_dir):
    (shader_dir / "lib" / "tint.glsl").write_text(TINT.replace("u_tint * SCALE", "u_tint * undefined_name"))
    library = ShaderLibrary(gl_ctx, shader_dir)
    with pytest.raises(ShaderError) as error:
        library.program("quad.vert", "quad.frag")
    assert "lib/tint.glsl:3" in str(error.value)


def test_missing_include_names_the_including_line(gl_ctx, shader_dir):
    (shader_dir / "quad.frag").write_text(FRAGMENT.replace("lib/tint.glsl", "lib/missing.glsl"))
    with pytest.raises(ShaderError, match=r'quad.frag:3: #include "lib/missing.glsl" not found'):
        ShaderLibrary(gl_ctx, shader_dir).program("quad.vert", "quad.frag")


def test_include_cycles_terminate(gl_ctx, shader_dir):
    (shader_dir / "common.glsl").write_text('#include "lib/tint.glsl"\n' + COMMON)  # tint.glsl includes common.glsl
    expanded = ShaderLibrary(gl_ctx, shader_dir).expand("quad.frag")
    assert expanded.text.count("vec4 tint()") == 1 and expanded.text.count("#ifndef SCALE") == 1


def test_reload_swaps_only_programs_that_compile(gl_ctx, shader_dir):
    library = ShaderLibrary(gl_ctx, shader_dir)
    entry = library.program("quad.vert", "quad.frag")
    untouched = library.program("quad.vert", "quad.frag", {"SCALE": 3.0})
    first = entry.program
    assert library.reload_changed().reloaded == []

    write_later(shader_dir / "lib" / "tint.glsl", TINT.replace("return", "return broken"))
    report = library.reload_changed()
    assert report.reloaded == [] and len(report.errors) == 2  # both variants include tint.glsl
    assert "lib/tint.glsl:3" in report.errors[0]
    assert entry.program is first and entry.generation == 0  # the old program keeps running
    assert library.reload_changed().errors == []  # a broken file is reported once, not every frame

    write_later(shader_dir / "lib" / "tint.glsl", TINT.replace("u_tint * SCALE", "u_tint * SCALE * 0.5"))
    report = library.reload_changed()
    assert report.errors == [] and len(report.reloaded) == 2
    assert entry.program is not first and entry.generation == 1
    assert untouched.generation == 1
    library.release()


def test_fixed_bindings_apply_to_every_program(gl_ctx, shader_dir):
    (shader_dir / "quad.frag").write_text(
        "#version 330 core\nuniform sampler2D u_image;\nout vec4 f_color;\n"
        "void main() { f_color = texture(u_image, vec2(0.5)); }\n"
    )
    library = ShaderLibrary(gl_ctx, shader_dir, {"u_image": 7, "NotPresent": 3})
    assert library.program("quad.vert", "quad.frag").program["u_image"].value == 7
    library.release()


def test_engine_shaders_compile_in_every_variant(gl_ctx):
    """Every shipped shader file, mesh variants included, compiles on this driver."""
    from engine.render.bindings import FIXED_BINDINGS

    library = ShaderLibrary(gl_ctx, DEFAULT_SHADER_DIR, FIXED_BINDINGS)
    layouts = [{}, {"HAS_NORMALS": 1, "HAS_UV": 1, "HAS_TANGENTS": 1, "HAS_COLORS": 1}]
    deforms = [{}, {"SKINNED": 1}, {"MORPH": 1}, {"SKINNED": 1, "MORPH": 1}]
    for layout in layouts:
        for deform in deforms:
            library.program("mesh.vert", "mesh.frag", {**layout, **deform})
            library.program("mesh.vert", "mesh.frag", {**layout, **deform, "ALPHA_MASK": 1})
            library.program("mesh.vert", "shadow.frag", {**layout, **deform, "DEPTH_ONLY": 1, "ALPHA_MASK": 1})
    for vertex, fragment, defines in [
        ("fullscreen.vert", "sky.frag", {}),
        ("ground.vert", "ground.frag", {}),
        ("fullscreen.vert", "tonemap.frag", {"HDR_SAMPLES": 1}),
        ("fullscreen.vert", "tonemap.frag", {"HDR_SAMPLES": 4}),
        ("fullscreen.vert", "fxaa.frag", {}),
        ("text.vert", "text.frag", {}),
    ]:
        library.program(vertex, fragment, defines)
    library.release()
