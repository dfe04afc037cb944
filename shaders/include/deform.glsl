// Vertex deformation shared by the colour and shadow passes so both see the
// same shape: morph targets first (in bind space), then linear blend skinning.
#include "instance_data.glsl"

#ifdef SKINNED
uniform int u_palette_base;   // texel index of instance 0, joint 0
uniform int u_joint_count;

mat4 joint_matrix(int instance, uint joint) {
    int texel = u_palette_base + (instance * u_joint_count + int(joint)) * 4;
    return mat4(instance_texel(texel), instance_texel(texel + 1),
                instance_texel(texel + 2), instance_texel(texel + 3));
}

mat4 skin_matrix(int instance, uvec4 joints, vec4 weights) {
    return weights.x * joint_matrix(instance, joints.x) + weights.y * joint_matrix(instance, joints.y)
         + weights.z * joint_matrix(instance, joints.z) + weights.w * joint_matrix(instance, joints.w);
}
#endif

#ifdef MORPH
// Deltas: RGBA32F, same flat layout; texel (target * vertex_count + vertex) * 2
// holds the position delta, the next one the normal delta.
uniform sampler2D u_morph_deltas;
uniform int u_morph_vertex_count;
uniform int u_morph_target_count;
uniform int u_morph_weights_base;   // float index of instance 0, target 0 (4 floats per texel)

vec4 morph_texel(int index) {
    return texelFetch(u_morph_deltas,
                      ivec2(index & ((1 << INSTANCE_DATA_WIDTH_LOG2) - 1), index >> INSTANCE_DATA_WIDTH_LOG2), 0);
}

void apply_morph(int vertex, int instance, inout vec3 position, inout vec3 normal) {
    int first_weight = u_morph_weights_base + instance * u_morph_target_count;
    for (int target = 0; target < u_morph_target_count; ++target) {
        int w = first_weight + target;
        float weight = instance_texel(w >> 2)[w & 3];
        if (weight == 0.0) continue;
        int texel = (target * u_morph_vertex_count + vertex) * 2;
        position += weight * morph_texel(texel).xyz;
        normal += weight * morph_texel(texel + 1).xyz;
    }
}
#endif

// Normals transform by the cofactor of the model matrix: proportional to the
// inverse transpose, exact under non-uniform scale and free of an inverse().
mat3 normal_matrix(mat4 model) {
    vec3 x = model[0].xyz, y = model[1].xyz, z = model[2].xyz;
    mat3 cofactor = mat3(cross(y, z), cross(z, x), cross(x, y));
    return dot(cross(x, y), z) < 0.0 ? -cofactor : cofactor;
}
