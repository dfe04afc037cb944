// Colour and size over life, sampled from the particle LUT texture: row
// u_lut_row holds the colour curve (RGBA), the next row the size curve (R).
// Entries are interpolated linearly here with texelFetch + mix; the CPU splat
// (engine/render/particle_splat_kernels.py) samples the same interpolation at
// 256 ages, so both paths read the same curves.
uniform sampler2D u_particle_lut;
uniform int u_lut_row;
uniform ivec2 u_lut_lengths;   // colour entries, size entries

vec4 particle_curve(int row, int entries, float life) {
    float x = life * float(entries - 1);
    int first = int(x);
    int second = min(first + 1, entries - 1);
    return mix(texelFetch(u_particle_lut, ivec2(first, row), 0), texelFetch(u_particle_lut, ivec2(second, row), 0),
               x - float(first));
}

vec4 particle_color_over_life(float life) {
    return particle_curve(u_lut_row, u_lut_lengths.x, life);
}

float particle_size_over_life(float life) {
    return particle_curve(u_lut_row + 1, u_lut_lengths.y, life).r;
}
