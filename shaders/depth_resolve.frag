#version 330 core
// Scene depth -> view distance, one sample per pixel, for particles: the GPU
// path fades against it and the CPU splat reads it back. Sample 0 stands for
// the pixel; particles are soft, so an edge pixel that picks the surface or
// the background looks right either way.
#include "include/frame.glsl"
#include "include/view_distance.glsl"

#if HDR_SAMPLES > 1
uniform sampler2DMS u_hdr_depth;
#else
uniform sampler2D u_hdr_depth;
#endif

out float f_distance;

void main() {
    float depth = texelFetch(u_hdr_depth, ivec2(gl_FragCoord.xy), 0).r;
    f_distance = view_distance(depth * 2.0 - 1.0);
}
