"""Real media for the links the stand-in hands out: MP3 tones of the reported length, JPEG and PNG covers."""

import array
import functools
import math
import struct
import zlib
from pathlib import Path

import lameenc  # type: ignore[import-not-found]  # ships no type information

SAMPLE_RATE = 22_050
BIT_RATE_KBPS = 32
_COVER_JPEG = Path(__file__).parent / "static" / "cover.jpeg"
"""CPython's own 16x16 test image (Lib/test/imghdrdata/python.jpg), a real baseline JPEG."""


@functools.lru_cache(maxsize=64)
def mp3_tone(seconds: float, frequency: float) -> bytes:
    """A mono CBR MP3 of a sine tone lasting `seconds` (LAME pads a few tens of milliseconds)."""
    whole = _sine_second(frequency) * (math.ceil(seconds) or 1)
    pcm = whole[: round(seconds * SAMPLE_RATE) * 2]
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(BIT_RATE_KBPS)
    encoder.set_in_sample_rate(SAMPLE_RATE)
    encoder.set_channels(1)
    encoder.set_quality(7)
    return bytes(encoder.encode(pcm) + encoder.flush())


@functools.cache
def cover_jpeg() -> bytes:
    return _COVER_JPEG.read_bytes()


@functools.lru_cache(maxsize=256)
def cover_png(seed: str, size: int = 64) -> bytes:
    """A real PNG: a diagonal two-colour gradient whose colours come from `seed` (the track id)."""
    digest = zlib.crc32(seed.encode())
    start = ((digest >> 16) & 0xFF, (digest >> 8) & 0xFF, digest & 0xFF)
    end = tuple(255 - channel for channel in start)
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter type: none
        for x in range(size):
            mix = (x + y) / (2 * size - 2)
            rows += bytes(round(a + (b - a) * mix) for a, b in zip(start, end, strict=True))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows)))
        + _chunk(b"IEND", b"")
    )


@functools.cache
def _sine_second(frequency: float) -> bytes:
    """One second of 16-bit PCM; a whole number of cycles, so seconds join without a click."""
    cycles = round(frequency)
    wave = (int(12_000 * math.sin(2 * math.pi * cycles * i / SAMPLE_RATE)) for i in range(SAMPLE_RATE))
    return array.array("h", wave).tobytes()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
