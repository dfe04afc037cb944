// Distance in front of the camera (metres along the view axis) from NDC depth,
// for perspective and orthographic projections alike. The coefficients come
// from engine/render/projection_terms.py. Needs frame.glsl first.

float view_distance(float ndc_depth) {
    vec4 k = u_view_distance_coefficients;
    return (ndc_depth * k.x + k.y) / (ndc_depth * k.z + k.w);
}
