// Filmic tonemap: fitted ACES (RRT + sRGB ODT) on linear Rec.709 input,
// applied in the ACES working space via two 3x3 matrices (column-major).
const mat3 ACES_INPUT = mat3(
    0.59719, 0.07600, 0.02840,
    0.35458, 0.90834, 0.13383,
    0.04823, 0.01566, 0.83777);
const mat3 ACES_OUTPUT = mat3(
     1.60475, -0.10208, -0.00327,
    -0.53108,  1.10813, -0.07276,
    -0.07367, -0.00605,  1.07602);

vec3 aces_fitted(vec3 color) {
    vec3 v = ACES_INPUT * color;
    vec3 curve = (v * (v + 0.0245786) - 0.000090537) / (v * (0.983729 * v + 0.4329510) + 0.238081);
    return clamp(ACES_OUTPUT * curve, 0.0, 1.0);
}
