#version 330 core
// Instanced mesh vertex stage for the colour pass and (with DEPTH_ONLY) the
// shadow pass. Variant defines mirror the primitive's attributes.
#include "include/frame.glsl"
#include "include/deform.glsl"

layout(location = 0) in vec3 a_position;
#ifdef HAS_NORMALS
layout(location = 1) in vec3 a_normal;
#endif
#ifdef HAS_UV
layout(location = 2) in vec2 a_uv;
#endif
#ifdef HAS_TANGENTS
layout(location = 3) in vec4 a_tangent;
#endif
#ifdef HAS_COLORS
layout(location = 4) in vec4 a_color;
#endif
#ifdef SKINNED
layout(location = 5) in uvec4 a_joints;
layout(location = 6) in vec4 a_weights;
#endif
layout(location = 8) in mat4 a_model;   // per instance, model -> world
layout(location = 12) in vec4 a_tint;   // per instance
uniform bool u_use_tint;

out vec3 v_world_position;
out vec3 v_normal;
out vec4 v_tangent;
out vec2 v_uv;
out vec4 v_color;

void main() {
    vec3 position = a_position;
#ifdef HAS_NORMALS
    vec3 normal = a_normal;
#else
    vec3 normal = vec3(0.0, 1.0, 0.0);
#endif
#ifdef HAS_TANGENTS
    vec3 tangent = a_tangent.xyz;
    float handedness = a_tangent.w;
#else
    vec3 tangent = vec3(1.0, 0.0, 0.0);
    float handedness = 1.0;
#endif
#ifdef MORPH
    apply_morph(gl_VertexID, gl_InstanceID, position, normal);
#endif
#ifdef SKINNED
    mat4 skin = skin_matrix(gl_InstanceID, a_joints, a_weights);
    position = (skin * vec4(position, 1.0)).xyz;
    normal = mat3(skin) * normal;
    tangent = mat3(skin) * tangent;
#endif
    vec4 world = a_model * vec4(position, 1.0);
    v_world_position = world.xyz;
    v_normal = normal_matrix(a_model) * normal;
    v_tangent = vec4(mat3(a_model) * tangent, handedness);
#ifdef HAS_UV
    v_uv = a_uv;
#else
    v_uv = vec2(0.0);
#endif
    v_color = u_use_tint ? a_tint : vec4(1.0);
#ifdef HAS_COLORS
    v_color *= a_color;
#endif
#ifdef DEPTH_ONLY
    gl_Position = u_light_view_proj * world;
#else
    gl_Position = u_view_proj * world;
#endif
}
