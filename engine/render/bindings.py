"""Fixed texture units and uniform-block binding points shared by all programs.

GLSL 330 cannot assign these in the shader source, so the shader library
applies this table to every program it links.
"""

FRAME_UNIFORMS_BINDING = 0

BASE_COLOR_UNIT = 0
METALLIC_ROUGHNESS_UNIT = 1
NORMAL_UNIT = 2
OCCLUSION_UNIT = 3
EMISSIVE_UNIT = 4
SHADOW_MAP_UNIT = 5
INSTANCE_DATA_UNIT = 6
MORPH_DELTAS_UNIT = 7
HDR_COLOR_UNIT = 8
LDR_COLOR_UNIT = 9
GLYPH_ATLAS_UNIT = 10
HDR_DEPTH_UNIT = 11
SCENE_DISTANCE_UNIT = 12
PARTICLE_LUT_UNIT = 13
PARTICLE_SPRITE_UNIT = 14
PARTICLE_SPLAT_UNIT = 15

FIXED_BINDINGS = {
    "FrameUniforms": FRAME_UNIFORMS_BINDING,
    "u_base_color_texture": BASE_COLOR_UNIT,
    "u_metallic_roughness_texture": METALLIC_ROUGHNESS_UNIT,
    "u_normal_texture": NORMAL_UNIT,
    "u_occlusion_texture": OCCLUSION_UNIT,
    "u_emissive_texture": EMISSIVE_UNIT,
    "u_shadow_map": SHADOW_MAP_UNIT,
    "u_instance_data": INSTANCE_DATA_UNIT,
    "u_morph_deltas": MORPH_DELTAS_UNIT,
    "u_hdr_color": HDR_COLOR_UNIT,
    "u_ldr_color": LDR_COLOR_UNIT,
    "u_glyph_atlas": GLYPH_ATLAS_UNIT,
    "u_hdr_depth": HDR_DEPTH_UNIT,
    "u_scene_distance": SCENE_DISTANCE_UNIT,
    "u_particle_lut": PARTICLE_LUT_UNIT,
    "u_particle_sprite": PARTICLE_SPRITE_UNIT,
    "u_particle_splat": PARTICLE_SPLAT_UNIT,
}
