#version 330 core
// Camera-facing particle quads: one instance per particle, corners from
// gl_VertexID (triangle strip). The quad is laid out in pixels so that tiny
// particles keep a minimum footprint (dimmed to keep their energy) and sparks
// stretch along their screen-space velocity. The whole quad keeps the depth of
// the particle centre, as the CPU splat does. Variants: VELOCITY (stretch or
// extrapolation), TEXTURED (sprite or flipbook, rotated by the seed).
#include "include/frame.glsl"
#include "include/view_distance.glsl"
#include "include/particle_curves.glsl"

layout(location = 0) in vec3 a_position;
layout(location = 1) in float a_age;
layout(location = 2) in float a_lifetime;
layout(location = 3) in float a_size;
layout(location = 4) in uint a_seed;
#ifdef VELOCITY
layout(location = 5) in vec3 a_velocity;
#endif

uniform vec2 u_viewport_size;
uniform float u_focal_length_px;    // pixels per metre at clip w = 1
uniform float u_min_radius_px;
uniform float u_emissive;
uniform float u_stretch;            // seconds of velocity
uniform float u_extrapolate;        // seconds
uniform ivec2 u_flipbook;           // columns, rows

out vec2 v_local;                   // position in the quad in radii: x along the axis, y across
flat out float v_half_length;       // stretch either side of the centre, in radii
flat out vec4 v_color;              // rgb * emissive; a = opacity * kept energy
flat out float v_distance;          // view distance of the particle centre
flat out vec2 v_cell_origin;        // flipbook cell corner in atlas uv

const float TAU = 6.28318530718;

float capsule_area(float radius, float half_length) {
    return radius * (3.14159265 * radius + 4.0 * half_length);
}

vec2 to_pixels(vec4 clip) {
    return (clip.xy / clip.w * 0.5 + 0.5) * u_viewport_size;
}

void main() {
    float life = clamp(a_age / max(a_lifetime, 1e-6), 0.0, 1.0);
    vec3 head = a_position;
#ifdef VELOCITY
    head += a_velocity * u_extrapolate;
#endif
    vec4 head_clip = u_view_proj * vec4(head, 1.0);
    if (head_clip.w <= 1e-6) {  // behind the camera: a point outside the clip volume
        gl_Position = vec4(0.0, 0.0, 2.0, 1.0);
        return;
    }
    vec2 center = to_pixels(head_clip);
    float radius_px = 0.5 * a_size * particle_size_over_life(life) * u_focal_length_px / head_clip.w;

#ifdef TEXTURED
    float angle = float(a_seed & 0xFFFFu) * (TAU / 65536.0);
    vec2 axis = vec2(cos(angle), sin(angle));
#else
    vec2 axis = vec2(1.0, 0.0);
#endif
    float half_length_px = 0.0;
#ifdef VELOCITY
    if (u_stretch > 0.0) {
        vec4 tail_clip = u_view_proj * vec4(head - a_velocity * u_stretch, 1.0);
        if (tail_clip.w > 1e-6) {
            vec2 tail = to_pixels(tail_clip);
            float length_px = distance(center, tail);
            if (length_px > 1e-3) {
                axis = (center - tail) / length_px;
                half_length_px = 0.5 * length_px;
                center = 0.5 * (center + tail);
            }
        }
    }
#endif
    float radius = max(radius_px, u_min_radius_px);
    float kept_energy = capsule_area(radius_px, half_length_px) / capsule_area(radius, half_length_px);

    vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1)) * 2.0 - 1.0;
    vec2 across = vec2(-axis.y, axis.x);
    vec2 pixel = center + axis * corner.x * (half_length_px + radius) + across * corner.y * radius;
    v_local = vec2(corner.x * (half_length_px + radius) / radius, corner.y);
    v_half_length = half_length_px / radius;

    vec4 color = particle_color_over_life(life);
    v_color = vec4(color.rgb * u_emissive, color.a * kept_energy);
    v_distance = view_distance(head_clip.z / head_clip.w);

    int frames = u_flipbook.x * u_flipbook.y;
    int frame = (min(int(life * float(frames)), frames - 1) + int((a_seed >> 16) % uint(frames))) % frames;
    v_cell_origin = vec2(frame % u_flipbook.x, frame / u_flipbook.x) / vec2(u_flipbook);

    gl_Position = vec4((pixel / u_viewport_size * 2.0 - 1.0) * head_clip.w, head_clip.z, head_clip.w);
}
