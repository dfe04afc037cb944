"""`main.py play SCENE`: interactive playback in a window.

Keys: Space play/pause, Left/Right step a frame, Home restart, C next camera,
F free-fly camera (WASD + mouse, Q/E down/up, Shift faster), Esc quit.
Shader files reload when they change; a broken edit keeps the old program.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from components.camera import Camera
from components.transform import GlobalTransform, Transform
from engine.app import App
from engine.cli.fly_camera import FlyCamera
from engine.cli.scene_session import build_scene_app, choose_camera
from systems.rendering.extract_frame import ExtractedFrame
from systems.rendering.view_settings import EntityNames, RenderSettings

SHADER_POLL_SECONDS = 0.5
STEP_FPS = 24.0
HELP_LINE = "space play/pause  <- -> step  home restart  C camera  F fly  esc quit"


class WindowUnavailable(RuntimeError):
    """No window could be opened here; the caller may fall back to rendering a file."""


class PlayerState:
    """What the keyboard changes: playing, camera cycling, free-fly."""

    def __init__(self, app: App):
        self.app = app
        self.world = app.world
        self.fly: FlyCamera | None = None
        self.fly_entity = -1
        names = self.world.resource(EntityNames).by_name
        self.cameras = [e for _, e in sorted(names.items()) if self.world.has(e, Camera)]
        self.camera_cycle = -1  # -1 = follow the shots

    def toggle_play(self) -> None:
        self.app.clock.playing = not self.app.clock.playing

    def step(self, frames: int) -> None:
        self.app.clock.playing = False
        self.app.update_to(self.app.clock.wrap(self.app.clock.time + frames / STEP_FPS))

    def next_camera(self) -> None:
        self.leave_fly()
        settings = self.world.resource(RenderSettings)
        self.camera_cycle = self.camera_cycle + 1 if self.camera_cycle + 1 < len(self.cameras) else -1
        settings.camera_override = self.cameras[self.camera_cycle] if self.camera_cycle >= 0 else -1

    def toggle_fly(self, window) -> None:
        if self.fly is not None:
            self.leave_fly()
            window.set_mouse_captured(False)
            return
        current = self.world.resource(ExtractedFrame).camera
        start = self.world.get(current, GlobalTransform.matrix) if current >= 0 else np.eye(4, dtype=np.float32)
        self.fly = FlyCamera.from_matrix(start)
        lens = {f.name: self.world.get(current, f) for f in Camera.__fields__} if current >= 0 else {}
        if self.fly_entity < 0:
            self.fly_entity = self.world.spawn(Transform(), GlobalTransform(), Camera(**lens))
        self.world.resource(RenderSettings).camera_override = self.fly_entity
        window.set_mouse_captured(True)

    def leave_fly(self) -> None:
        if self.fly is None:
            return
        self.fly = None
        settings = self.world.resource(RenderSettings)
        settings.camera_override = self.cameras[self.camera_cycle] if self.camera_cycle >= 0 else -1

    def update_fly(self, window, dt: float) -> None:
        if self.fly is None:
            return
        down = window.is_key_down
        self.fly.move(dt, forward=down("W") - down("S"), right=down("D") - down("A"), up=down("E") - down("Q"),
                      fast=down("LEFT_SHIFT") or down("RIGHT_SHIFT"))
        self.world.set(self.fly_entity, Transform.translation, self.fly.position)
        self.world.set(self.fly_entity, Transform.rotation, self.fly.rotation())


def _handle_events(window, state: PlayerState, events) -> None:
    from engine.render.window import KeyEvent, MouseMoveEvent

    for event in events:
        if isinstance(event, MouseMoveEvent) and state.fly is not None and window.mouse_captured:
            state.fly.look(event.dx, event.dy)
        if not isinstance(event, KeyEvent) or event.action == "release":
            continue
        key = event.key
        if key == "ESCAPE":
            window.should_close = True
        elif key == "SPACE" and event.action == "press":
            state.toggle_play()
        elif key in ("RIGHT", "LEFT"):
            state.step(1 if key == "RIGHT" else -1)
        elif key == "HOME":
            state.app.update_to(0.0)
        elif key == "C" and event.action == "press":
            state.next_camera()
        elif key == "F" and event.action == "press":
            state.toggle_fly(window)


def _overlay(app: App, state: PlayerState) -> list[str]:
    clock = app.clock
    extracted = app.world.resource(ExtractedFrame)
    camera = "free-fly" if state.fly is not None else (app.world.resource(EntityNames).name_of(extracted.camera) or "")
    status = "playing" if clock.playing else "paused"
    return [f"{clock.time:7.2f} s / {clock.duration:.2f}   frame {int(round(clock.time * STEP_FPS))}   {status}",
            f"shot: {extracted.shot_name}   camera: {camera}", HELP_LINE]


def play_app(app: App, size: tuple[int, int], title: str, quit_after: float | None = None,
             screenshot: str | None = None) -> int:
    from engine.render.renderer import Renderer
    from engine.render.window import Window, WindowError
    from systems.rendering.draw_frame import RenderOutput, render_output_plugin

    try:
        window = Window(size[0], size[1], title)
    except WindowError as error:
        app.close()
        raise WindowUnavailable(str(error)) from None
    with window:
        # software rasterizers pay ~3x for MSAA; FXAA keeps the window interactive there
        software = any(name in window.ctx.info["GL_RENDERER"].lower() for name in ("llvmpipe", "softpipe", "swrast"))
        renderer = Renderer(window.ctx, msaa_samples=1 if software else 4)
        output = RenderOutput(renderer, window.framebuffer, window.framebuffer_size)
        app.add_plugin(render_output_plugin(output))
        settings = app.world.resource(RenderSettings)
        state = PlayerState(app)
        started = last = time.perf_counter()
        last_shader_poll = started
        app.update_to(0.0)
        while not window.should_close:
            now = time.perf_counter()
            dt, last = now - last, now
            _handle_events(window, state, window.poll_events())
            output.size = window.framebuffer_size
            settings.width, settings.height = output.size
            state.update_fly(window, dt)
            settings.overlay_lines = _overlay(app, state)
            app.advance(dt)
            if quit_after is not None and now - started >= quit_after:
                window.should_close = True
            if window.should_close and screenshot:
                _save_screenshot(window, screenshot)  # before the swap: the back buffer holds this frame
            window.swap()
            if now - last_shader_poll > SHADER_POLL_SECONDS:
                last_shader_poll = now
                report = renderer.reload_shaders()
                for failure in report.errors:
                    print(f"moviola: shader reload failed, keeping the old program: {failure}", file=sys.stderr)
        renderer.release()
    app.close()
    return 0


def _save_screenshot(window, path: str) -> None:
    from PIL import Image

    width, height = window.framebuffer_size
    data = window.framebuffer.read(viewport=(0, 0, width, height), components=3, alignment=1)
    Image.fromarray(np.frombuffer(data, np.uint8).reshape(height, width, 3)[::-1]).save(path)


def run(args) -> int:
    app, info = build_scene_app(args.scene, args.size, args.particle_path)
    choose_camera(app, args.camera, args.scene)
    return play_app(app, args.size, f"Moviola: {info.name}", args.quit_after, args.screenshot)
