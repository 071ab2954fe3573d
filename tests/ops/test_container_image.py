"""The Dockerfile passes hadolint, and the smoke script that builds and runs the image is sound
shell. (The image itself is built and run by `make smoke`, scripts/container-smoke.sh: minutes,
an engine and a base image, so not in `make test`.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HADOLINT = str(Path(sys.executable).with_name("hadolint"))


def test_the_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(  # noqa: S603
        [HADOLINT, "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_as_a_non_root_user_with_a_healthcheck() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "\nUSER 10001:10001\n" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert 'ENTRYPOINT ["taskhub"]' in dockerfile
    assert "ARG BASE_IMAGE=" in dockerfile


def test_the_smoke_script_is_valid_bash() -> None:
    script = ROOT / "scripts" / "container-smoke.sh"
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)  # noqa: S603, S607
    assert result.returncode == 0, result.stderr
