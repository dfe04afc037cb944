#version 330 core
// One triangle covering the viewport, no vertex buffer needed. AT_FAR_PLANE
// puts it at depth 1 so, drawn last with a <= depth test, it fills only the
// pixels no surface covered (the sky behind everything).
out vec2 v_ndc;

void main() {
    vec2 corner = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
    v_ndc = corner * 2.0 - 1.0;
#ifdef AT_FAR_PLANE
    gl_Position = vec4(v_ndc, 1.0, 1.0);
#else
    gl_Position = vec4(v_ndc, 0.0, 1.0);
#endif
}
