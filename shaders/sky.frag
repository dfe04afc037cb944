#version 330 core
// Background: the sky gradient seen along each pixel's view ray.
#include "include/frame.glsl"
#include "include/sky.glsl"

in vec2 v_ndc;
out vec4 f_color;

void main() {
    vec4 far_point = u_inverse_view_proj * vec4(v_ndc, 1.0, 1.0);
    vec3 direction = normalize(far_point.xyz / far_point.w - u_camera_position.xyz);
    f_color = vec4(sky_radiance(direction), 1.0);
}
