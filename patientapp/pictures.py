"""The pictures in the guides and the check's advice: our own SVG drawings, without words.

A guide shows one with Markdown's image syntax and the picture's name as its address:

    ![A lamp in front of you lights your face.](picture:light-front)

The text in brackets is the picture's `alt` text, written in each language's own guide file. Words
never go inside a picture, so that nothing in it needs translating. A picture that shows a direction
is mirrored on right-to-left pages where a reader expects it (`mirror`). Each is small (bench/README
records their bytes), loaded lazily and kept offline with the guides (pwa).

To add one: draw `static/pictures/<name>.svg` (viewBox 0 0 240 160, no text, no scripts, no external
references, under 2 KB) and add its name here.
"""
from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 240, 160


@dataclass(frozen=True)
class Picture:
    name: str
    mirror: bool  # flipped on right-to-left pages (it shows a direction of reading)

    @property
    def path(self) -> str:
        """The static file, as assets.py names it."""
        return f"pictures/{self.name}.svg"


PICTURES = {p.name: p for p in (
    Picture("light-front", mirror=False),
    Picture("light-window", mirror=False),
    Picture("phone-eye-level", mirror=False),
    Picture("permission-prompt", mirror=False),
    # Where to tap when the camera is blocked: the browser's own bar, which the device's language lays out.
    Picture("permission-android", mirror=False),
    Picture("permission-iphone", mirror=False),
    Picture("headphones", mirror=False),
    Picture("head-camera", mirror=False),
    Picture("code-to-pc", mirror=True),  # from the phone to the PC: the way of reading
)}
SCHEME = "picture:"
