// Per-frame data shared by every scene program: one std140 block written once
// per frame (engine/render/frame_uniforms.py mirrors this layout).
#define MAX_POINT_LIGHTS 8

layout(std140) uniform FrameUniforms {
    mat4 u_view_proj;
    mat4 u_light_view_proj;
    mat4 u_inverse_view_proj;
    vec4 u_camera_position;     // xyz
    vec4 u_to_sun;              // unit vector towards the sun; w = 1 when shadows are on
    vec4 u_sun_radiance;        // colour * intensity
    vec4 u_sky_ambient;         // hemisphere fill from above, colour * intensity
    vec4 u_ground_ambient;      // hemisphere fill from below
    vec4 u_horizon_color;       // the frame's clear colour
    vec4 u_shadow_params;       // x = 1 / shadow map size, y = world size of one shadow texel
    vec4 u_view_distance_coefficients;  // NDC depth -> view distance, see view_distance.glsl
    vec4 u_point_position_range[MAX_POINT_LIGHTS];  // xyz, w = range (0 = unlimited)
    vec4 u_point_radiance[MAX_POINT_LIGHTS];        // colour * intensity
    ivec4 u_light_counts;       // x = point lights in use
};
