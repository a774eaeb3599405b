"""The committed PNG icons are exactly what scripts/draw_icons.py draws (reproducible, no image library)."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("draw_icons", ROOT / "scripts/draw_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The 512-pixel ones take a minute on a small machine; the 192-pixel ones prove the same drawing.
@pytest.mark.parametrize("name, maskable", [("icon-192.png", False), ("maskable-192.png", True)])
def test_committed_icons_are_reproducible(name, maskable):
    draw_icons = _script()
    assert draw_icons.png(draw_icons.draw(192, maskable), 192) == (ROOT / "patientapp/static/icons" / name).read_bytes()
