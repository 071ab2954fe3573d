"""Readiness as a port: can this instance serve requests that need storage?"""

from __future__ import annotations

from typing import Protocol


class ReadinessProbe(Protocol):
    async def problems(self) -> list[str]:
        """What stops this instance from serving; empty when it is ready."""
        ...
