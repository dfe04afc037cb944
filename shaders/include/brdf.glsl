// Metallic-roughness BRDF: Cook-Torrance with GGX distribution, height-correlated
// Smith visibility and Schlick Fresnel; Lambert diffuse.

const float PI = 3.14159265359;

float distribution_ggx(float n_dot_h, float alpha) {
    float alpha2 = alpha * alpha;
    float d = n_dot_h * n_dot_h * (alpha2 - 1.0) + 1.0;
    return alpha2 / (PI * d * d);
}

// Smith G divided by the 4 n.l n.v denominator (height-correlated form).
float visibility_smith_ggx(float n_dot_v, float n_dot_l, float alpha) {
    float alpha2 = alpha * alpha;
    float v = n_dot_l * sqrt(n_dot_v * n_dot_v * (1.0 - alpha2) + alpha2);
    float l = n_dot_v * sqrt(n_dot_l * n_dot_l * (1.0 - alpha2) + alpha2);
    return 0.5 / max(v + l, 1e-5);
}

vec3 fresnel_schlick(vec3 f0, float cos_theta) {
    return f0 + (1.0 - f0) * pow(1.0 - cos_theta, 5.0);
}

// Split-sum environment BRDF without a lookup table (analytic fit of the
// pre-integrated DFG terms), for the hemisphere ambient's specular part.
vec3 environment_brdf(vec3 f0, float n_dot_v, float roughness) {
    vec4 r = roughness * vec4(-1.0, -0.0275, -0.572, 0.022) + vec4(1.0, 0.0425, 1.04, -0.04);
    float a = min(r.x * r.x, exp2(-9.28 * n_dot_v)) * r.x + r.y;
    vec2 scale_bias = vec2(-1.04, 1.04) * a + r.zw;
    return f0 * scale_bias.x + scale_bias.y;
}

// Radiance reflected towards the viewer from one light of `radiance` from `to_light`.
vec3 direct_light(vec3 n, vec3 v, vec3 to_light, vec3 radiance, vec3 diffuse_color, vec3 f0, float alpha) {
    float n_dot_l = dot(n, to_light);
    if (n_dot_l <= 0.0) return vec3(0.0);
    vec3 h = normalize(to_light + v);
    float n_dot_v = max(dot(n, v), 1e-4);
    float n_dot_h = max(dot(n, h), 0.0);
    vec3 fresnel = fresnel_schlick(f0, max(dot(v, h), 0.0));
    vec3 specular = fresnel * distribution_ggx(n_dot_h, alpha) * visibility_smith_ggx(n_dot_v, n_dot_l, alpha);
    vec3 diffuse = (1.0 - fresnel) * diffuse_color / PI;
    return (diffuse + specular) * radiance * n_dot_l;
}
