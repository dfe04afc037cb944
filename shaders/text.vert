#version 330 core
// HUD glyph quads: one instance per character, corners from gl_VertexID.
// The atlas is a grid of equal cells, one per printable ASCII character.
layout(location = 0) in vec4 a_glyph;   // per instance: pen x, pen y (pixels from top-left), cell index, unused

uniform vec2 u_viewport_size;
uniform vec2 u_offset;                  // pixels, for the drop shadow
uniform vec2 u_cell_size;               // pixels
uniform int u_atlas_columns;
uniform vec2 u_atlas_size;              // pixels

out vec2 v_atlas_uv;

void main() {
    int cell = int(a_glyph.z);
    vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1));
    vec2 pixel = a_glyph.xy + u_offset + corner * u_cell_size;
    vec2 cell_origin = vec2(cell % u_atlas_columns, cell / u_atlas_columns) * u_cell_size;
    v_atlas_uv = (cell_origin + corner * u_cell_size) / u_atlas_size;
    gl_Position = vec4(pixel.x / u_viewport_size.x * 2.0 - 1.0, 1.0 - pixel.y / u_viewport_size.y * 2.0, 0.0, 1.0);
}
