"""Process-wide lifecycle state: whether the server is draining before it stops.

While draining, the instance still serves but /health/ready answers 503, so the load balancer
stops sending it traffic before in-flight requests are finished and the process exits. With one
worker the flag is this process's event; with several, the supervisor creates a flag file (its
path in TASKHUB_DRAIN_FLAG) that every worker sees.
"""

from __future__ import annotations

import os
import threading
from typing import Final

DRAIN_FLAG_VARIABLE: Final = "TASKHUB_DRAIN_FLAG"

draining = threading.Event()


def is_draining() -> bool:
    if draining.is_set():
        return True
    flag = os.environ.get(DRAIN_FLAG_VARIABLE)
    return bool(flag) and os.path.exists(flag)  # type: ignore[arg-type]
