#version 330 core
// The CPU splat's premultiplied particle layer, blended ONE / ONE_MINUS_SRC_ALPHA
// over the HDR scene like the GPU billboards.
uniform sampler2D u_particle_splat;

out vec4 f_color;

void main() {
    f_color = texelFetch(u_particle_splat, ivec2(gl_FragCoord.xy), 0);
}
