"""The Dockerfile passes hadolint (the image itself is built by ../shared/tools/container-smoke.sh)."""

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
