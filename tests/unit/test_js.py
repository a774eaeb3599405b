"""The check's pure JavaScript modules (light and level classifiers, browser recognition), tested
with node's own test runner: no framework, no npm install."""
import shutil
import subprocess
from pathlib import Path

import pytest

JS_TESTS = Path(__file__).resolve().parents[1] / "js"


def test_javascript_unit_tests_pass():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed for the JavaScript tests: apt-get install nodejs (make browser does it)")
    result = subprocess.run([node, "--test", *sorted(str(p) for p in JS_TESTS.glob("*.test.mjs"))],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout and "# pass 0" not in result.stdout
