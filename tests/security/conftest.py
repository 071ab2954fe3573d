"""The security catalogue runs against the same app fixtures as the HTTP suite."""

from tests.http.conftest import client, container

__all__ = ["client", "container"]
