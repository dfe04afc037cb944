// Per-frame instance data too large for attributes (joint palettes, morph
// weights) lives in one RGBA32F texture, INSTANCE_DATA_WIDTH texels wide, read
// as a flat array of vec4. Each batch gets base offsets as uniforms.
#define INSTANCE_DATA_WIDTH_LOG2 10
uniform sampler2D u_instance_data;

vec4 instance_texel(int index) {
    return texelFetch(u_instance_data,
                      ivec2(index & ((1 << INSTANCE_DATA_WIDTH_LOG2) - 1), index >> INSTANCE_DATA_WIDTH_LOG2), 0);
}
