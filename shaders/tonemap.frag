#version 330 core
// Resolve + tonemap + sRGB encode. With MSAA each sample is tonemapped before
// averaging, so bright edges against dark stay anti-aliased.
#include "include/color.glsl"
#include "include/tonemap.glsl"

#if HDR_SAMPLES > 1
uniform sampler2DMS u_hdr_color;
#else
uniform sampler2D u_hdr_color;
#endif
uniform float u_exposure;

out vec4 f_color;

// Tiny deterministic dither so sky gradients do not band in 8 bits.
float dither(vec2 pixel) {
    return (fract(52.9829189 * fract(dot(pixel, vec2(0.06711056, 0.00583715)))) - 0.5) / 255.0;
}

void main() {
    ivec2 pixel = ivec2(gl_FragCoord.xy);
    vec3 sum = vec3(0.0);
#if HDR_SAMPLES > 1
    for (int i = 0; i < HDR_SAMPLES; ++i)
        sum += aces_fitted(texelFetch(u_hdr_color, pixel, i).rgb * u_exposure);
    vec3 display = sum / float(HDR_SAMPLES);
#else
    vec3 display = aces_fitted(texelFetch(u_hdr_color, pixel, 0).rgb * u_exposure);
#endif
    vec3 encoded = linear_to_srgb(display) + dither(gl_FragCoord.xy);
    // Alpha carries luma for the optional FXAA pass.
    f_color = vec4(encoded, luminance(encoded));
}
