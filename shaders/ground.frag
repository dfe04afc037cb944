#version 330 core
// Shadow-receiving floor with an anti-aliased grid that fades into the sky.
#include "include/frame.glsl"
#include "include/lighting.glsl"

uniform vec3 u_ground_color;
uniform vec3 u_grid_color;
uniform float u_grid_spacing;
uniform float u_ground_extent;

in vec3 v_world_position;
out vec4 f_color;

// Coverage of grid lines `width_px` pixels wide, from screen-space derivatives.
// Where cells shrink to a few pixels the lines would alias into moire, so they
// fade out towards their average contribution instead.
float grid_lines(vec2 cell_coord, float width_px) {
    vec2 footprint = fwidth(cell_coord);
    vec2 distance_px = abs(fract(cell_coord - 0.5) - 0.5) / max(footprint, vec2(1e-6));
    float line = 1.0 - clamp(min(distance_px.x, distance_px.y) - 0.5 * width_px + 0.5, 0.0, 1.0);
    float density = max(footprint.x, footprint.y);
    return mix(line, min(width_px * density, 1.0) * 0.5, smoothstep(0.15, 0.45, density));
}

void main() {
    vec2 cell = v_world_position.xz / u_grid_spacing;
    float minor = grid_lines(cell, 1.0);
    float major = grid_lines(cell / 10.0, 1.6);
    vec3 albedo = mix(u_ground_color, u_grid_color, clamp(0.55 * minor + major, 0.0, 1.0));

    Surface s;
    s.position = v_world_position;
    s.normal = vec3(0.0, 1.0, 0.0);
    s.albedo = albedo;
    s.metallic = 0.0;
    s.roughness = 0.9;
    s.occlusion = 1.0;
    vec3 lit = shade(s);

    vec3 to_point = v_world_position - u_camera_position.xyz;
    float fade = smoothstep(0.35 * u_ground_extent, 0.95 * u_ground_extent, length(to_point.xz));
    f_color = vec4(mix(lit, sky_radiance(normalize(to_point)), fade), 1.0);
}
