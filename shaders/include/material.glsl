// glTF metallic-roughness material inputs. Absent textures are bound to 1x1
// white stand-ins, so only the normal map needs a flag. Alpha testing is the
// ALPHA_MASK variant: a shader that can `discard` loses early depth rejection.
uniform sampler2D u_base_color_texture;
uniform sampler2D u_metallic_roughness_texture;
uniform sampler2D u_normal_texture;
uniform sampler2D u_occlusion_texture;
uniform sampler2D u_emissive_texture;

uniform vec4 u_base_color_factor;
uniform float u_metallic_factor;
uniform float u_roughness_factor;
uniform float u_normal_scale;
uniform float u_occlusion_strength;
uniform vec3 u_emissive_factor;
uniform bool u_alpha_blend;         // BLEND: keep alpha (otherwise the surface is opaque)
uniform float u_alpha_cutoff;       // MASK (and blended casters in the shadow pass)
uniform bool u_has_normal_texture;
uniform bool u_unlit;
uniform float u_effect_uv_scale;     // learned effects tile their texture; 1 otherwise

vec4 material_base_color(vec2 uv, vec4 vertex_color) {
    return texture(u_base_color_texture, uv) * u_base_color_factor * vertex_color;
}
