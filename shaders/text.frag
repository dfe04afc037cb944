#version 330 core
uniform sampler2D u_glyph_atlas;
uniform vec4 u_text_color;

in vec2 v_atlas_uv;
out vec4 f_color;

void main() {
    f_color = vec4(u_text_color.rgb, u_text_color.a * texture(u_glyph_atlas, v_atlas_uv).r);
}
