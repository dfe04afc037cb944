#version 330 core
// Forward PBR shading into the HDR target.
#include "include/frame.glsl"
#include "include/material.glsl"
#include "include/lighting.glsl"

in vec3 v_world_position;
in vec3 v_normal;
in vec4 v_tangent;
in vec2 v_uv;
in vec4 v_color;

out vec4 f_color;

// Tangent frame from screen-space derivatives, for meshes without tangents:
// t and b follow increasing u and v across the surface. glTF's v runs down the
// image while a normal map's green axis points up it, hence -b.
mat3 derivative_tangent_frame(vec3 n, vec3 position, vec2 uv) {
    vec3 dp_dx = dFdx(position), dp_dy = dFdy(position);
    vec2 duv_dx = dFdx(uv), duv_dy = dFdy(uv);
    vec3 dp_dy_perp = cross(dp_dy, n), dp_dx_perp = cross(n, dp_dx);
    vec3 t = dp_dy_perp * duv_dx.x + dp_dx_perp * duv_dy.x;
    vec3 b = dp_dy_perp * duv_dx.y + dp_dx_perp * duv_dy.y;
    float scale = inversesqrt(max(max(dot(t, t), dot(b, b)), 1e-12));
    return mat3(t * scale, -b * scale, n);
}

vec3 surface_normal() {
#ifdef HAS_NORMALS
    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;
#else
    // Flat shading; the cross product of derivatives always faces the viewer.
    vec3 n = normalize(cross(dFdx(v_world_position), dFdy(v_world_position)));
#endif
    if (!u_has_normal_texture) return n;
    vec3 sampled = texture(u_normal_texture, v_uv).xyz * 2.0 - 1.0;
    sampled.xy *= u_normal_scale;
#ifdef HAS_TANGENTS
    vec3 t = normalize(v_tangent.xyz - n * dot(n, v_tangent.xyz));
    float handedness = gl_FrontFacing ? v_tangent.w : -v_tangent.w;
    mat3 tbn = mat3(t, cross(n, t) * handedness, n);
#else
    mat3 tbn = derivative_tangent_frame(n, v_world_position, v_uv);
#endif
    return normalize(tbn * sampled);
}

void main() {
    // A learned effect tiles its texture u_effect_uv_scale times per UV unit (1 for ordinary materials).
    vec4 base = material_base_color(v_uv * u_effect_uv_scale, v_color);
#ifdef ALPHA_MASK
    if (base.a < u_alpha_cutoff) discard;
#endif
    float alpha = u_alpha_blend ? base.a : 1.0;
    vec3 emissive = u_emissive_factor * texture(u_emissive_texture, v_uv * u_effect_uv_scale).rgb;
    if (u_unlit) {
        f_color = vec4(base.rgb + emissive, alpha);
        return;
    }
    vec4 metal_rough = texture(u_metallic_roughness_texture, v_uv);
    Surface s;
    s.position = v_world_position;
    s.normal = surface_normal();
    s.albedo = base.rgb;
    s.metallic = clamp(u_metallic_factor * metal_rough.b, 0.0, 1.0);
    s.roughness = clamp(u_roughness_factor * metal_rough.g, 0.0, 1.0);
    s.occlusion = mix(1.0, texture(u_occlusion_texture, v_uv).r, u_occlusion_strength);
    f_color = vec4(shade(s) + emissive, alpha);
}
