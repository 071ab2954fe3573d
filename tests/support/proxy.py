"""A TCP proxy in front of PostgreSQL that a test controls: it can go silent (a network that drops
everything without a word, the worst case for a client) and speak again."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class SilentableProxy:
    """Relays bytes between clients and `target` (a unix socket path, or (host, port))."""

    target: Path | tuple[str, int]
    port: int = 0
    _open: asyncio.Event = field(default_factory=asyncio.Event)
    _server: asyncio.Server | None = None
    _pumps: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._open.set()

    def go_silent(self) -> None:
        """From now on, nothing goes through in either direction; connections stay open."""
        self._open.clear()

    def speak_again(self) -> None:
        self._open.set()

    async def _connect_target(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if isinstance(self.target, Path):
            return await asyncio.open_unix_connection(str(self.target))
        return await asyncio.open_connection(*self.target)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while data := await source.read(65536):
                await self._open.wait()
                sink.write(data)
                await sink.drain()
        with contextlib.suppress(Exception):
            sink.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._open.wait()
        try:
            upstream_reader, upstream_writer = await self._connect_target()
        except OSError:
            writer.close()
            return
        for pump in (self._pump(reader, upstream_writer), self._pump(upstream_reader, writer)):
            task = asyncio.create_task(pump)
            self._pumps.add(task)
            task.add_done_callback(self._pumps.discard)

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return f"127.0.0.1:{self.port}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._pumps):
            task.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)


@contextlib.asynccontextmanager
async def silentable_proxy(target: Path | tuple[str, int]) -> AsyncIterator[SilentableProxy]:
    proxy = SilentableProxy(target)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()
