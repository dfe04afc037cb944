"""Frame sinks: decodable H.264 movies, PNG sequences, no broken files left behind."""

from __future__ import annotations

import av
import numpy as np
import pytest
from PIL import Image

from engine.errors import InputError
from engine.video_output import open_frame_sink


def numbered_frame(index: int, width: int = 64, height: int = 48) -> np.ndarray:
    """A frame whose brightness encodes its index, with a marker in the top-left."""
    frame = np.full((height, width, 3), 40 + 20 * index, np.uint8)
    frame[: height // 4, : width // 4] = (250, 30, 30)
    return frame


def decode(path) -> tuple[list[np.ndarray], av.video.stream.VideoStream]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)], stream


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".mkv"])
def test_movie_decodes_with_every_frame_in_order(tmp_path, suffix):
    path = tmp_path / f"shot{suffix}"
    with open_frame_sink(path, 24, 64, 48) as sink:
        for index in range(10):
            sink.write(numbered_frame(index))
    frames, stream = decode(path)
    assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
    assert (stream.width, stream.height) == (64, 48) and stream.average_rate == 24
    assert len(frames) == 10
    for index, frame in enumerate(frames):
        assert abs(int(frame[40, 40].mean()) - (40 + 20 * index)) <= 3  # right frame, right order
        assert frame[2, 2, 0] > 200 and frame[2, 2, 1] < 70  # top row first, red stays red
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left over


def test_odd_sizes_are_padded_to_even(tmp_path):
    path = tmp_path / "odd.mp4"
    with open_frame_sink(path, 25, 63, 47) as sink:
        sink.write(numbered_frame(0, 63, 47))
    frames, stream = decode(path)
    assert len(frames) == 1 and (stream.width, stream.height) == (64, 48)


def test_interrupted_render_keeps_the_previous_movie(tmp_path):
    path = tmp_path / "shot.mp4"
    with open_frame_sink(path, 24, 64, 48) as sink:
        sink.write(numbered_frame(0))
    good = path.read_bytes()
    with pytest.raises(KeyboardInterrupt):
        with open_frame_sink(path, 24, 64, 48) as sink:
            sink.write(numbered_frame(1))
            raise KeyboardInterrupt
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_png_sequence_is_numbered_from_one_and_trims_stale_frames(tmp_path):
    folder = tmp_path / "frames"
    with open_frame_sink(folder, 24, 64, 48) as sink:
        for index in range(5):
            sink.write(numbered_frame(index))
    with open_frame_sink(folder, 24, 64, 48) as sink:  # a shorter re-render
        for index in range(3):
            sink.write(numbered_frame(index + 1))
    assert sorted(p.name for p in folder.iterdir()) == ["frame_00001.png", "frame_00002.png", "frame_00003.png"]
    first = np.asarray(Image.open(folder / "frame_00001.png"))
    np.testing.assert_array_equal(first, numbered_frame(1))  # lossless, top row first


def test_wrong_frame_shape_is_rejected(tmp_path):
    with open_frame_sink(tmp_path / "frames", 24, 64, 48) as sink:
        with pytest.raises(ValueError, match=r"\(48, 64, 3\) uint8"):
            sink.write(numbered_frame(0, 32, 48))


@pytest.mark.parametrize("name", ["shot.avi", "still.png"])
def test_unsupported_outputs_are_input_errors(tmp_path, name):
    with pytest.raises(InputError, match=name):
        open_frame_sink(tmp_path / name, 24, 64, 48)
