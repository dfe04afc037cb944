#version 330 core
// Resolve + tonemap + sRGB encode. With MSAA each sample is tonemapped before
// averaging, so bright edges against dark stay anti-aliased. With PARTICLE_SPLAT
// the CPU particle layer (premultiplied, ONE / ONE_MINUS_SRC_ALPHA like the GL
// billboards) goes over each HDR sample here: one texel fetch per pixel instead
// of a blend into every MSAA sample of the HDR target. That variant is drawn
// only over the layer's box (scissored), the plain one around it.
#include "include/color.glsl"
#include "include/tonemap.glsl"

#if HDR_SAMPLES > 1
uniform sampler2DMS u_hdr_color;
#else
uniform sampler2D u_hdr_color;
#endif
uniform float u_exposure;
#if PARTICLE_SPLAT
uniform sampler2D u_particle_splat;
#endif

out vec4 f_color;

// Tiny deterministic dither so sky gradients do not band in 8 bits.
float dither(vec2 pixel) {
    return (fract(52.9829189 * fract(dot(pixel, vec2(0.06711056, 0.00583715)))) - 0.5) / 255.0;
}

void main() {
    ivec2 pixel = ivec2(gl_FragCoord.xy);
#if PARTICLE_SPLAT
    vec4 splat = texelFetch(u_particle_splat, pixel, 0);
#else
    vec4 splat = vec4(0.0);
#endif
    float keep = 1.0 - splat.a;
    vec3 sum = vec3(0.0);
#if HDR_SAMPLES > 1
    for (int i = 0; i < HDR_SAMPLES; ++i)
        sum += aces_fitted((splat.rgb + texelFetch(u_hdr_color, pixel, i).rgb * keep) * u_exposure);
    vec3 display = sum / float(HDR_SAMPLES);
#else
    vec3 display = aces_fitted((splat.rgb + texelFetch(u_hdr_color, pixel, 0).rgb * keep) * u_exposure);
#endif
    vec3 encoded = linear_to_srgb(display) + dither(gl_FragCoord.xy);
    // Alpha carries luma for the optional FXAA pass.
    f_color = vec4(encoded, luminance(encoded));
}
