// Sun shadow lookup: hardware depth comparison with bilinear filtering, 16 taps
// (a smooth ~4 texel penumbra), and a normal offset against acne on slopes.
uniform sampler2DShadow u_shadow_map;

float sun_visibility(vec3 world_position, vec3 normal) {
    if (u_to_sun.w < 0.5) return 1.0;
    float n_dot_l = clamp(dot(normal, u_to_sun.xyz), 0.0, 1.0);
    // Push the lookup along the normal, more at grazing angles where acne appears.
    vec3 offset_position = world_position + normal * u_shadow_params.y * (1.5 - n_dot_l);
    vec4 clip = u_light_view_proj * vec4(offset_position, 1.0);
    vec3 coord = clip.xyz / clip.w * 0.5 + 0.5;
    if (coord.z >= 1.0 || any(lessThan(coord.xy, vec2(0.0))) || any(greaterThan(coord.xy, vec2(1.0))))
        return 1.0;
    float texel = u_shadow_params.x;
    float lit = 0.0;
    for (int y = 0; y < 4; ++y) {
        for (int x = 0; x < 4; ++x) {
            vec2 offset = (vec2(x, y) - 1.5) * texel;
            lit += texture(u_shadow_map, vec3(coord.xy + offset, coord.z));
        }
    }
    // Fade out at the shadow map border instead of cutting off.
    vec2 edge = min(coord.xy, 1.0 - coord.xy);
    float border = smoothstep(0.0, 0.05, min(edge.x, edge.y));
    return mix(1.0, lit / 16.0, border);
}
