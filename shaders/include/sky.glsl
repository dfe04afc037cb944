// Gentle sky gradient around the frame's clear colour. The ground fades into
// exactly this function, so floor and background meet without a seam.

vec3 sky_radiance(vec3 direction) {
    vec3 horizon = u_horizon_color.rgb;
    vec3 zenith = horizon * vec3(0.42, 0.56, 0.88);
    float elevation = clamp(direction.y, 0.0, 1.0);
    return mix(horizon, zenith, pow(elevation, 0.6));
}
