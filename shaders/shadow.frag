#version 330 core
// Shadow map pass: depth only. Masked and blended materials (ALPHA_MASK
// variant) cut holes where their alpha is below the cutoff.
#include "include/material.glsl"

in vec2 v_uv;
in vec4 v_color;

void main() {
#ifdef ALPHA_MASK
    if (material_base_color(v_uv, v_color).a < u_alpha_cutoff) discard;
#endif
}
