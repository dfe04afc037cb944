#version 330 core
// Fast approximate anti-aliasing on the tonemapped image (luma in alpha):
// estimate the local edge direction from luma differences and blend along it.
uniform sampler2D u_ldr_color;

in vec2 v_ndc;
out vec4 f_color;

const float EDGE_THRESHOLD = 1.0 / 8.0;
const float EDGE_THRESHOLD_MIN = 1.0 / 24.0;
const float MAX_SPAN = 8.0;

void main() {
    vec2 texel = 1.0 / vec2(textureSize(u_ldr_color, 0));
    vec2 uv = gl_FragCoord.xy * texel;
    vec4 center = texture(u_ldr_color, uv);
    float luma_nw = texture(u_ldr_color, uv + vec2(-0.5, -0.5) * texel).a;
    float luma_ne = texture(u_ldr_color, uv + vec2(0.5, -0.5) * texel).a;
    float luma_sw = texture(u_ldr_color, uv + vec2(-0.5, 0.5) * texel).a;
    float luma_se = texture(u_ldr_color, uv + vec2(0.5, 0.5) * texel).a;
    float luma_min = min(center.a, min(min(luma_nw, luma_ne), min(luma_sw, luma_se)));
    float luma_max = max(center.a, max(max(luma_nw, luma_ne), max(luma_sw, luma_se)));
    if (luma_max - luma_min < max(EDGE_THRESHOLD_MIN, luma_max * EDGE_THRESHOLD)) {
        f_color = vec4(center.rgb, 1.0);
        return;
    }
    // Gradient across the edge, rotated 90 degrees to run along it.
    vec2 along = vec2((luma_sw + luma_se) - (luma_nw + luma_ne), (luma_nw + luma_sw) - (luma_ne + luma_se));
    float shortest = min(abs(along.x), abs(along.y)) + 1e-3;
    along = clamp(along / shortest, -MAX_SPAN, MAX_SPAN) * texel;

    vec3 near_pair = 0.5 * (texture(u_ldr_color, uv - along / 6.0).rgb + texture(u_ldr_color, uv + along / 6.0).rgb);
    vec3 far_pair = 0.5 * near_pair + 0.25 * (texture(u_ldr_color, uv - along * 0.5).rgb + texture(u_ldr_color, uv + along * 0.5).rgb);
    float far_luma = dot(far_pair, vec3(0.2126, 0.7152, 0.0722));
    // The wide blend may cross into a different surface; fall back to the narrow one.
    f_color = vec4((far_luma < luma_min || far_luma > luma_max) ? near_pair : far_pair, 1.0);
}
