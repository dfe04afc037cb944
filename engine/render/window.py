"""A glfw window with an OpenGL 3.3 core context and a queue of input events.

The player owns the loop: `poll_events()` returns what happened since the last
call (keys by name, mouse, scroll, framebuffer resizes), the renderer draws
into `framebuffer` at `framebuffer_size`, then `swap()`. `set_mouse_captured`
hides and locks the cursor for a fly camera (motion arrives as deltas).
"""

from __future__ import annotations

from dataclasses import dataclass

import glfw
import moderngl

# glfw key code -> name ("W", "SPACE", "LEFT_SHIFT", "F1", ...), built once.
KEY_NAMES = {getattr(glfw, attr): attr[4:] for attr in dir(glfw) if attr.startswith("KEY_") and attr != "KEY_UNKNOWN"}
MOUSE_BUTTON_NAMES = {
    glfw.MOUSE_BUTTON_LEFT: "LEFT",
    glfw.MOUSE_BUTTON_RIGHT: "RIGHT",
    glfw.MOUSE_BUTTON_MIDDLE: "MIDDLE",
}
ACTIONS = {glfw.PRESS: "press", glfw.RELEASE: "release", glfw.REPEAT: "repeat"}


@dataclass(frozen=True)
class KeyEvent:
    key: str  # name from KEY_NAMES, e.g. "W", "ESCAPE", "LEFT_SHIFT"
    action: str  # press | release | repeat
    shift: bool = False
    ctrl: bool = False
    alt: bool = False


@dataclass(frozen=True)
class MouseButtonEvent:
    button: str  # LEFT | RIGHT | MIDDLE | BUTTON_<n>
    action: str  # press | release
    x: float  # window coordinates, origin top-left
    y: float


@dataclass(frozen=True)
class MouseMoveEvent:
    x: float
    y: float
    dx: float  # since the previous move event (raw, unaccelerated while captured)
    dy: float


@dataclass(frozen=True)
class ScrollEvent:
    dx: float
    dy: float


@dataclass(frozen=True)
class ResizeEvent:
    width: int  # framebuffer pixels (differs from window size on HiDPI screens)
    height: int


class WindowError(RuntimeError):
    """No window could be opened (no display, no OpenGL 3.3 core driver)."""


Event = KeyEvent | MouseButtonEvent | MouseMoveEvent | ScrollEvent | ResizeEvent

_glfw_users = 0  # glfw is process-global; terminate it with the last window


class Window:
    def __init__(
        self, width: int = 1280, height: int = 720, title: str = "Moviola", vsync: bool = True, visible: bool = True
    ):
        global _glfw_users
        if not glfw.init():
            raise WindowError("cannot open a window: glfw failed to initialise (no display?)")
        _glfw_users += 1
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)  # required for core profiles on macOS
        glfw.window_hint(glfw.RESIZABLE, True)
        glfw.window_hint(glfw.VISIBLE, visible)
        glfw.window_hint(glfw.SAMPLES, 0)  # the renderer multisamples its own HDR target
        self._handle = glfw.create_window(width, height, title, None, None)
        if not self._handle:
            self._terminate()
            raise WindowError("cannot open a window: no OpenGL 3.3 core context available")
        glfw.make_context_current(self._handle)
        glfw.swap_interval(1 if vsync else 0)
        self.ctx = moderngl.create_context(require=330)
        self._events: list[Event] = []
        self._last_cursor: tuple[float, float] | None = None
        self.mouse_captured = False
        glfw.set_key_callback(self._handle, self._on_key)
        glfw.set_mouse_button_callback(self._handle, self._on_mouse_button)
        glfw.set_cursor_pos_callback(self._handle, self._on_cursor)
        glfw.set_scroll_callback(self._handle, self._on_scroll)
        glfw.set_framebuffer_size_callback(self._handle, self._on_framebuffer_size)

    # ------------------------------------------------------------------ loop
    def poll_events(self) -> list[Event]:
        """Process pending window-system events; returns them in arrival order."""
        glfw.poll_events()
        events, self._events = self._events, []
        return events

    @property
    def should_close(self) -> bool:
        return bool(glfw.window_should_close(self._handle))

    @should_close.setter
    def should_close(self, value: bool) -> None:
        glfw.set_window_should_close(self._handle, value)

    def swap(self) -> None:
        glfw.swap_buffers(self._handle)

    @property
    def framebuffer(self) -> moderngl.Framebuffer:
        """The window's default framebuffer, for `Renderer.render`."""
        return self.ctx.screen

    @property
    def framebuffer_size(self) -> tuple[int, int]:
        width, height = glfw.get_framebuffer_size(self._handle)
        return int(width), int(height)

    @property
    def window_size(self) -> tuple[int, int]:
        width, height = glfw.get_window_size(self._handle)
        return int(width), int(height)

    def set_title(self, title: str) -> None:
        glfw.set_window_title(self._handle, title)

    def is_key_down(self, key: str) -> bool:
        code = getattr(glfw, f"KEY_{key}", None)
        return code is not None and glfw.get_key(self._handle, code) == glfw.PRESS

    def set_mouse_captured(self, captured: bool) -> None:
        """Hide and lock the cursor (fly camera); motion keeps arriving as deltas."""
        self.mouse_captured = captured
        glfw.set_input_mode(self._handle, glfw.CURSOR, glfw.CURSOR_DISABLED if captured else glfw.CURSOR_NORMAL)
        if glfw.raw_mouse_motion_supported():
            glfw.set_input_mode(self._handle, glfw.RAW_MOUSE_MOTION, captured)
        self._last_cursor = None  # the cursor jumps when the mode changes; do not report that as motion

    def close(self) -> None:
        if self._handle is None:
            return
        self.ctx.release()
        glfw.destroy_window(self._handle)
        self._handle = None
        self._terminate()

    def __enter__(self) -> Window:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # ------------------------------------------------------------- callbacks
    def _on_key(self, _window, key, _scancode, action, mods) -> None:
        name = KEY_NAMES.get(key)
        if name is not None and action in ACTIONS:
            self._events.append(
                KeyEvent(
                    name,
                    ACTIONS[action],
                    bool(mods & glfw.MOD_SHIFT),
                    bool(mods & glfw.MOD_CONTROL),
                    bool(mods & glfw.MOD_ALT),
                )
            )

    def _on_mouse_button(self, _window, button, action, _mods) -> None:
        x, y = glfw.get_cursor_pos(self._handle)
        name = MOUSE_BUTTON_NAMES.get(button, f"BUTTON_{button + 1}")
        self._events.append(MouseButtonEvent(name, ACTIONS.get(action, "press"), x, y))

    def _on_cursor(self, _window, x, y) -> None:
        last = self._last_cursor or (x, y)
        self._last_cursor = (x, y)
        self._events.append(MouseMoveEvent(x, y, x - last[0], y - last[1]))

    def _on_scroll(self, _window, dx, dy) -> None:
        self._events.append(ScrollEvent(dx, dy))

    def _on_framebuffer_size(self, _window, width, height) -> None:
        self._events.append(ResizeEvent(int(width), int(height)))

    @staticmethod
    def _terminate() -> None:
        global _glfw_users
        _glfw_users -= 1
        if _glfw_users == 0:
            glfw.terminate()
