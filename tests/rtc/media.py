"""Real encoded media for unit tests: VP8 frames and Opus packets."""

import fractions

import av
import numpy as np


def vp8_frames(count: int, width: int = 64, height: int = 48) -> list[bytes]:
    """``count`` VP8 frames; only the first is a keyframe."""
    encoder = av.CodecContext.create("libvpx", "w")
    assert isinstance(encoder, av.VideoCodecContext)
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.time_base = fractions.Fraction(1, 30)
    encoder.gop_size = 1000
    out: list[bytes] = []
    for index in range(count):
        image = np.full((height, width, 3), (index * 7) % 255, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
        frame.pts = index
        out += [bytes(packet) for packet in encoder.encode(frame)]
    return out


def opus_packets(count: int) -> list[bytes]:
    """``count`` Opus packets of 20 ms of a tone."""
    encoder = av.CodecContext.create("libopus", "w")
    assert isinstance(encoder, av.AudioCodecContext)
    encoder.sample_rate, encoder.layout, encoder.format = 48000, "stereo", "s16"
    encoder.time_base = fractions.Fraction(1, 48000)
    tone = (np.sin(2 * np.pi * 440 * np.arange(960) / 48000) * 8000).astype(np.int16)
    out: list[bytes] = []
    index = 0
    while len(out) < count:
        samples = av.AudioFrame.from_ndarray(
            np.repeat(tone, 2).reshape(1, -1), format="s16", layout="stereo"
        )
        samples.sample_rate = 48000
        samples.pts = index * 960
        index += 1
        out += [bytes(p) for p in encoder.encode(samples)]
    return out[:count]
