"""Chosen pictures and sounds for Chromium's fake camera and microphone, generated on the fly.

Y4M (YUV 4:2:0) frames with a bright or dark "face" in the middle and a bright or dark "room"
around it; 16-bit mono WAV with silence or a speech-like sound. Chromium loops both files.
"""
from __future__ import annotations

import math
import random
import struct
import wave
from pathlib import Path

WIDTH, HEIGHT, FPS = 320, 240, 10


def _frame(centre: int, ring: int) -> bytes:
    """One I420 frame: grey (no colour), luma `centre` in the middle, `ring` around it."""
    rows = []
    x0, x1 = WIDTH // 4, WIDTH * 3 // 4
    y0, y1 = HEIGHT // 5, HEIGHT * 4 // 5
    ring_row = bytes([ring]) * WIDTH
    face_row = bytes([ring]) * x0 + bytes([centre]) * (x1 - x0) + bytes([ring]) * (WIDTH - x1)
    for y in range(HEIGHT):
        rows.append(face_row if y0 <= y < y1 else ring_row)
    chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2)
    return b"FRAME\n" + b"".join(rows) + chroma + chroma


def write_video(path: Path, phases: list[tuple[int, int, float]]) -> Path:
    """phases: (centre luma, ring luma, seconds), played in order and looped by Chromium."""
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for centre, ring, seconds in phases:
            frame = _frame(centre, ring)
            for _ in range(max(1, int(seconds * FPS))):
                out.write(frame)
    return path


def write_audio(path: Path, kind: str, seconds: float = 4.0, rate: int = 48000) -> Path:
    """'silence', or 'speech': noise-like voiced sound at about −20 dBFS, syllables four times a second."""
    rng = random.Random(7)
    samples = []
    for n in range(int(seconds * rate)):
        if kind == "silence":
            value = 0.0
        else:
            t = n / rate
            syllables = 0.5 + 0.5 * math.sin(2 * math.pi * 4 * t)
            voice = (0.5 * math.sin(2 * math.pi * 180 * t) + 0.3 * math.sin(2 * math.pi * 360 * t)
                     + 0.2 * math.sin(2 * math.pi * 900 * t) + 0.1 * (rng.random() * 2 - 1))
            value = 0.25 * syllables * voice
        samples.append(int(max(-1.0, min(1.0, value)) * 32767))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return path


# Luma values chosen so that the verdict is the same whether Chromium maps Y to RGB in limited or
# full range (a Y of 50 is RGB 40 or 50: dark either way).
SCENES = {
    "good": [(150, 125, 3)],
    "dark": [(50, 50, 3)],
    "backlit": [(45, 235, 3)],
    "black": [(0, 0, 3)],
    "dark-then-good": [(50, 50, 4), (150, 125, 4)],
}
