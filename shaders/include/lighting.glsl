// Full lighting for one surface point: shadowed sun, point lights, hemisphere
// ambient (diffuse + split-sum specular). Needs frame.glsl first.
#include "brdf.glsl"
#include "shadows.glsl"
#include "sky.glsl"

struct Surface {
    vec3 position;
    vec3 normal;        // unit, facing the viewer's side
    vec3 albedo;        // linear base colour
    float metallic;
    float roughness;
    float occlusion;
};

float point_light_falloff(float distance_to_light, float range) {
    float inverse_square = 1.0 / max(distance_to_light * distance_to_light, 1e-4);
    if (range <= 0.0) return inverse_square;
    float ratio = distance_to_light / range;
    float window = clamp(1.0 - ratio * ratio * ratio * ratio, 0.0, 1.0);
    return inverse_square * window * window;
}

vec3 hemisphere(vec3 direction) {
    return mix(u_ground_ambient.rgb, u_sky_ambient.rgb, direction.y * 0.5 + 0.5);
}

vec3 shade(Surface s) {
    vec3 v = normalize(u_camera_position.xyz - s.position);
    vec3 n = s.normal;
    float roughness = clamp(s.roughness, 0.045, 1.0);
    float alpha = roughness * roughness;
    vec3 diffuse_color = s.albedo * (1.0 - s.metallic);
    vec3 f0 = mix(vec3(0.04), s.albedo, s.metallic);

    float sun = sun_visibility(s.position, n);
    vec3 color = direct_light(n, v, u_to_sun.xyz, u_sun_radiance.rgb * sun, diffuse_color, f0, alpha);

    for (int i = 0; i < u_light_counts.x; ++i) {
        vec3 to_light = u_point_position_range[i].xyz - s.position;
        float d = length(to_light);
        vec3 radiance = u_point_radiance[i].rgb * point_light_falloff(d, u_point_position_range[i].w);
        color += direct_light(n, v, to_light / max(d, 1e-4), radiance, diffuse_color, f0, alpha);
    }

    float n_dot_v = max(dot(n, v), 1e-4);
    vec3 reflected = reflect(-v, n);
    // Ambient is dimmed a little in sun shadow so contact areas read as grounded.
    float ambient_shadow = mix(0.75, 1.0, sun);
    vec3 ambient_diffuse = diffuse_color * hemisphere(n);
    vec3 ambient_specular = environment_brdf(f0, n_dot_v, roughness) * hemisphere(reflected);
    color += (ambient_diffuse + ambient_specular) * s.occlusion * ambient_shadow;
    return color;
}
