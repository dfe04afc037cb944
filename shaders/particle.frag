#version 330 core
// Particle coverage: a soft round disc, or a sprite / flipbook cell, faded
// where the particle nears the scene behind it or the lens (NEAR_FADE_START..END,
// defined by the pass from engine/render/particle_view.py). The output is premultiplied
// and additive particles write alpha 0, so one blend state (ONE,
// ONE_MINUS_SRC_ALPHA) serves both modes, the same compositing as the CPU
// splat.
uniform sampler2D u_scene_distance;
uniform sampler2D u_particle_sprite;
uniform ivec2 u_flipbook;
uniform float u_softness;       // metres
uniform float u_alpha_blend;    // 1 = alpha blending, 0 = additive

in vec2 v_local;
flat in float v_half_length;
flat in vec4 v_color;
flat in float v_distance;
flat in vec2 v_cell_origin;

out vec4 f_color;

void main() {
#ifdef TEXTURED
    vec2 uv = vec2(v_local.x / (v_half_length + 1.0) * 0.5 + 0.5, 0.5 - 0.5 * v_local.y);
    vec4 sprite = texture(u_particle_sprite, v_cell_origin + uv / vec2(u_flipbook));
#else
    // Distance to the stretched centre line, in radii; (1 - d^2)^2 falls off smoothly to 0 at the rim.
    float along = max(abs(v_local.x) - v_half_length, 0.0);
    float rim = max(1.0 - (along * along + v_local.y * v_local.y), 0.0);
    vec4 sprite = vec4(1.0, 1.0, 1.0, rim * rim);
#endif
    float scene_distance = texelFetch(u_scene_distance, ivec2(gl_FragCoord.xy), 0).r;
    float fade = clamp((scene_distance - v_distance) / max(u_softness, 1e-6), 0.0, 1.0)
               * clamp((v_distance - NEAR_FADE_START) / (NEAR_FADE_END - NEAR_FADE_START), 0.0, 1.0);
    float alpha = min(v_color.a * sprite.a, 1.0) * fade;
    f_color = vec4(v_color.rgb * sprite.rgb * alpha, alpha * u_alpha_blend);
}
