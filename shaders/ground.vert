#version 330 core
// Floor quad of half size u_ground_extent around u_ground_center, from gl_VertexID.
#include "include/frame.glsl"

uniform vec3 u_ground_center;
uniform float u_ground_extent;
out vec3 v_world_position;

void main() {
    vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1)) * 2.0 - 1.0;
    v_world_position = u_ground_center + vec3(corner.x, 0.0, -corner.y) * u_ground_extent;
    gl_Position = u_view_proj * vec4(v_world_position, 1.0);
}
