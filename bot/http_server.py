"""The web server Läget listens with: aiohttp, with bounds on what a client may hold.

- a request's headers must arrive within LAGET_HEADER_TIMEOUT (default 10 s) of the
  connection opening, or of its first byte on a kept-alive connection; its body within
  LAGET_BODY_TIMEOUT (30 s) of the headers. Otherwise the connection is closed: aiohttp
  itself waits for ever for a half-sent request (its keep-alive timer only runs between
  requests);
- at most LAGET_MAX_CONNECTIONS (512) connections are open at once. One past that closes
  the oldest connection that holds no whole request (still sending its headers or body,
  or idle between requests), so slow or idle clients can't lock out Teams or /healthz;
  when every connection holds a request being answered, it is told 503 and closed at
  once. One log line a minute each, however many there are, so a flood can neither exhaust
  the process's open files (often 1 024) nor the log;
- it binds LAGET_HOST, by default 127.0.0.1 in local mode (no authentication: nobody else
  should reach it) and 0.0.0.0 with authentication on.

app.py's `serve` runs the app through `serve` here; tests start it with `start_server`.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_log import AccessLogger

from config import Settings

log = logging.getLogger("laget.http")

# An idle kept-alive connection is closed after this long: longer than a reverse proxy's
# or the Bot Service's own idle timeout, so they, not we, close it (no race on reuse).
KEEPALIVE_SECONDS = 75.0
# The same kwargs for every request handler; aiohttp's own Server would build them so.
_HANDLER_ARGS: dict[str, Any] = {"keepalive_timeout": KEEPALIVE_SECONDS,
                                 "access_log_class": AccessLogger}
REFUSED_RESPONSE = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 30\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
                    b'{"error": "too many requests"}')


class RateLimitedLog:
    """Logs the first event at once, then at most one line per `interval` with the count."""

    def __init__(self, message: str, interval: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.message = message
        self.interval = interval
        self.total = 0
        self._clock = clock
        self._since_last = 0
        self._last: float | None = None

    def event(self, *args: Any) -> None:
        self.total += 1
        self._since_last += 1
        now = self._clock()
        if self._last is None or now - self._last >= self.interval:
            log.warning(self.message + " (%d since the last such message)", *args,
                        self._since_last)
            self._last, self._since_last = now, 0


@dataclass(frozen=True)
class Limits:
    header_timeout: float
    body_timeout: float
    max_connections: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(settings.header_timeout, settings.body_timeout, settings.max_connections)


class _Refuse(asyncio.Protocol):
    """A connection past the bound: answered 503 and closed, nothing read."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(REFUSED_RESPONSE)
        transport.close()


class _GuardedHandler(web.RequestHandler):
    """aiohttp's request handler with the header and body deadlines of one connection."""

    def __init__(self, guard: ConnectionGuard, manager: web.Server,
                 loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(manager, loop=loop, **_HANDLER_ARGS)
        self._guard = guard
        self._deadline: asyncio.TimerHandle | None = None
        self._in_request = False
        self._request: web.BaseRequest | None = None
        self.accepted = time.monotonic()

    def _arm(self, seconds: float, check: Callable[[], None]) -> None:
        self._disarm()
        self._deadline = self._loop.call_later(seconds, check)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._arm(self._guard.limits.header_timeout, self._headers_late)

    def data_received(self, data: bytes) -> None:
        if self._deadline is None and not self._in_request:
            # The first byte of the next request on a kept-alive connection.
            self._arm(self._guard.limits.header_timeout, self._headers_late)
        super().data_received(data)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._disarm()
        self._guard.closed(self)
        super().connection_lost(exc)

    def request_started(self, request: web.BaseRequest) -> None:
        """The headers are in (the app's first middleware runs): the body's clock starts."""
        self._in_request = True
        self._request = request
        self._arm(self._guard.limits.body_timeout, lambda: self._body_late(request))

    def request_finished(self) -> None:
        self._in_request = False
        self._request = None
        self._disarm()  # what is left of an unread body, aiohttp drains for 10 s at most

    @property
    def unfinished(self) -> bool:
        """Holds no whole request: its headers or body are still coming, or it is idle
        between requests. Closing it loses nothing that was sent."""
        return not self._in_request or (self._request is not None
                                        and not self._request.content.is_eof())

    def evict(self) -> None:
        self._disarm()
        if self.transport is not None:
            self.force_close()

    def _headers_late(self) -> None:
        self._deadline = None
        if not self._in_request and self.transport is not None:
            self._guard.timed_out.event("headers", self._guard.limits.header_timeout)
            self.force_close()

    def _body_late(self, request: web.BaseRequest) -> None:
        self._deadline = None
        if self._in_request and not request.content.is_eof() and self.transport is not None:
            self._guard.timed_out.event("body", self._guard.limits.body_timeout)
            self.force_close()  # the handler's read then fails: nothing is processed


class ConnectionGuard:
    """Makes the protocol for each accepted connection: a guarded handler, or a refusal."""

    def __init__(self, server: web.Server, limits: Limits) -> None:
        self.limits = limits
        self._server = server
        self._open: weakref.WeakSet[_GuardedHandler] = weakref.WeakSet()
        self.refused = RateLimitedLog(
            f"refusing connections: {limits.max_connections} open, the most allowed "
            "(LAGET_MAX_CONNECTIONS)")
        self.timed_out = RateLimitedLog("closed a connection whose request %s did not "
                                        "arrive within %.0f s")
        self.evicted = RateLimitedLog(
            f"{limits.max_connections} connections open (LAGET_MAX_CONNECTIONS): closed the "
            "oldest one that had not sent a whole request")

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def __call__(self) -> asyncio.BaseProtocol:
        if len(self._open) >= self.limits.max_connections:
            # Make room by the oldest half-sent or idle connection (slowloris), else refuse.
            victim = min((h for h in self._open if h.unfinished),
                         key=lambda h: h.accepted, default=None)
            if victim is None:
                self.refused.event()
                return _Refuse()
            self._open.discard(victim)
            victim.evict()
            self.evicted.event()
        handler = _GuardedHandler(self, self._server, asyncio.get_running_loop())
        self._open.add(handler)
        return handler

    def closed(self, handler: _GuardedHandler) -> None:
        self._open.discard(handler)


@web.middleware
async def _request_clock(request: web.Request,
                         handler: Callable[[web.Request], Any]) -> web.StreamResponse:
    protocol = request.protocol
    if not isinstance(protocol, _GuardedHandler):  # e.g. under aiohttp's TestServer
        return await handler(request)
    protocol.request_started(request)
    try:
        return await handler(request)
    finally:
        protocol.request_finished()


def bind_host(settings: Settings) -> str:
    """LAGET_HOST, else loopback in local mode and every interface with authentication."""
    if settings.host:
        return settings.host
    return "0.0.0.0" if settings.authenticated else "127.0.0.1"


@dataclass
class RunningServer:
    runner: web.AppRunner
    server: asyncio.Server
    guard: ConnectionGuard

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return [sock.getsockname()[:2] for sock in self.server.sockets]

    async def stop(self) -> None:
        self.server.close()  # no new connections, then aiohttp closes the open ones
        await self.runner.cleanup()
        await self.server.wait_closed()


async def start_server(app: web.Application, settings: Settings, *,
                       port: int | None = None) -> RunningServer:
    """Starts listening on bind_host(settings) and `port` (default settings.port)."""
    limits = Limits.of(settings)
    app.middlewares.insert(0, _request_clock)
    runner = web.AppRunner(app, handle_signals=False, **_HANDLER_ARGS)
    await runner.setup()
    assert runner.server is not None
    guard = ConnectionGuard(runner.server, limits)
    try:
        server = await asyncio.get_running_loop().create_server(
            guard, bind_host(settings), settings.port if port is None else port,
            reuse_address=True)
    except BaseException:
        await runner.cleanup()
        raise
    return RunningServer(runner, server, guard)


def serve(app: web.Application, settings: Settings) -> None:
    """Runs the app until SIGINT or SIGTERM, then closes it cleanly (app.py's `serve`)."""

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        running = await start_server(app, settings)
        mode = "authenticated" if settings.authenticated else "local, no authentication"
        for host, port in running.addresses:
            log.info("Läget listening on http://%s:%s/api/messages (%s)", host, port, mode)
        try:
            await stop.wait()
        finally:
            log.info("Läget stopping")
            await running.stop()

    asyncio.run(run())
