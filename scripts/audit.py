"""Dependency audit for `make lint`: pip-audit over the locked dependencies.

Offline-tolerant: when the vulnerability service cannot be reached (or cannot answer for a
package), it says so and passes. It fails only on a known vulnerability that has a fixed
version to move to.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

LOCK = Path(__file__).resolve().parents[1] / "requirements-dev.lock"
PIP_AUDIT = str(Path(sys.executable).with_name("pip-audit"))


def main() -> int:
    result = subprocess.run(  # noqa: S603
        [
            PIP_AUDIT,
            "-r",
            str(LOCK),
            "--disable-pip",
            "--no-deps",
            "--format",
            "json",
            "--progress-spinner",
            "off",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(
            f"audit: pip-audit could not run ({result.stderr.strip().splitlines()[-1:]}); not failing",
            file=sys.stderr,
        )
        return 0
    dependencies = report.get("dependencies", [])
    skipped = [d["name"] for d in dependencies if "skip_reason" in d]
    fixable = [
        (d["name"], d["version"], v["id"], v["fix_versions"])
        for d in dependencies
        for v in d.get("vulns", [])
        if v.get("fix_versions")
    ]
    unfixed = sum(1 for d in dependencies for v in d.get("vulns", []) if not v.get("fix_versions"))
    audited = len(dependencies) - len(skipped)
    print(
        f"audit: {audited} packages audited, {len(skipped)} could not be (service unreachable?), "
        f"{len(fixable)} fixable and {unfixed} unfixed known vulnerabilities"
    )
    for name, version, vuln, fixes in fixable:
        print(f"audit: {name} {version}: {vuln}, fixed in {', '.join(fixes)}", file=sys.stderr)
    return 1 if fixable else 0


if __name__ == "__main__":
    raise SystemExit(main())
