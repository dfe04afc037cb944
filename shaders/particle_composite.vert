#version 330 core
// Rectangles of the CPU particle splat that hold particles, one instance per
// screen tile, so the composite touches only those pixels.
layout(location = 0) in vec4 a_rect;   // per instance: x0, y0, x1, y1 in pixels (x0 == x1: empty tile)

uniform vec2 u_viewport_size;

void main() {
    vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1));
    vec2 pixel = mix(a_rect.xy, a_rect.zw, corner);
    gl_Position = vec4(pixel / u_viewport_size * 2.0 - 1.0, 0.0, 1.0);
}
