"""A loopback-only HTTP load generator: closed loop (a fixed concurrency) or open loop (a rate).

    .venv/bin/python -m infra.bench.load http://127.0.0.1:8000/healthz --concurrency 32
    .venv/bin/python -m infra.bench.load http://127.0.0.1:8000/healthz --rate 1000 --duration 5

Every run is bounded twice: by its requests (the calls given, or --requests) and by time
(--duration). Each request's latency is recorded; the result has the throughput, the
p50/p95/p99 and the errors (transport failures and statuses the scenario did not expect).

Two clients speak HTTP/1.1 with kept-alive connections, one connection per virtual user:
`raw` (default) writes requests on asyncio streams and parses answers with httptools
(uvicorn's own parser); `httpx` goes through httpx.AsyncClient. On this 2-core machine
httpx costs about 1 ms of CPU per request, as much as the server spends answering, so
at 2,000 requests/s it would take the very cores it measures; the raw client costs
about 40 µs. The open loop measures each latency from the moment the request was due,
so a stalled server cannot hide its queue (no coordinated omission).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import socket
import time
from collections import Counter
from collections.abc import Coroutine, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httptools
import httpx

TRANSPORT_FAILURE = 0  # the status recorded when no answer came back


@dataclass(frozen=True)
class Call:
    """One request: method, path (with query) and headers; a body for POSTs."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass
class Result:
    """What a run measured: per-request latencies (seconds) and status counts."""

    expected: frozenset[int]
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status not in self.expected)

    def count(self, *statuses: int) -> int:
        return sum(self.statuses[status] for status in statuses)

    def percentile_ms(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> str:
        return (
            f"{self.requests:,} requests in {self.seconds:.1f} s: {self.throughput:,.0f}/s, "
            f"p50 {self.percentile_ms(0.50):.1f} ms, p95 {self.percentile_ms(0.95):.1f} ms, "
            f"p99 {self.percentile_ms(0.99):.1f} ms, {self.errors} errors "
            f"(statuses {dict(sorted(self.statuses.items()))})"
        )


def loopback_target(url: str) -> tuple[str, int]:
    """(host, port) of `url`; refuses anything but this machine."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"{url!r}: a plain http:// URL on this machine")
    address = socket.gethostbyname(parts.hostname)
    if not ipaddress.ip_address(address).is_loopback:
        raise ValueError(f"{url!r} is not a loopback address: this generator stays local")
    return address, parts.port or 80


class RawConnection(asyncio.Protocol):
    """One kept-alive HTTP/1.1 connection: a request, then its answer, then the next."""

    def __init__(self, host_header: bytes) -> None:
        self.host_header = host_header
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.answer: asyncio.Future[int] | None = None
        self.open = False

    @classmethod
    async def connect(cls, host: str, port: int) -> RawConnection:
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(
            lambda: cls(f"{host}:{port}".encode()), host, port
        )
        return connection

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport, self.open = transport, True  # type: ignore[assignment] # uvloop's own

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        self.settle(ConnectionError("the server closed the connection"))

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as garbled:
            self.settle(garbled)
            assert self.transport is not None
            self.transport.close()

    def on_message_complete(self) -> None:
        if not self.parser.should_keep_alive():
            self.open = False
        self.settle(self.parser.get_status_code())

    def settle(self, outcome: int | Exception) -> None:
        answer, self.answer = self.answer, None
        if answer is None or answer.done():
            return
        if isinstance(outcome, Exception):
            answer.set_exception(outcome)
        else:
            answer.set_result(outcome)

    async def send(self, call: Call) -> int:
        assert self.transport is not None
        self.answer = asyncio.get_running_loop().create_future()
        head = [f"{call.method} {call.path} HTTP/1.1".encode(), b"Host: " + self.host_header]
        head += [f"{name}: {value}".encode() for name, value in call.headers]
        if call.body or call.method != "GET":
            head.append(b"Content-Length: %d" % len(call.body))
        self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + call.body)
        return await self.answer

    async def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class HttpxConnection:
    """The same through httpx.AsyncClient, one kept-alive connection per virtual user."""

    def __init__(self, host: str, port: int) -> None:
        self.client = httpx.AsyncClient(
            base_url=f"http://{host}:{port}", limits=httpx.Limits(max_connections=1), timeout=60
        )
        self.open = True

    async def send(self, call: Call) -> int:
        response = await self.client.request(
            call.method, call.path, headers=dict(call.headers), content=call.body
        )
        return response.status_code

    async def close(self) -> None:
        await self.client.aclose()


class Target:
    """Where calls go, and with which client."""

    def __init__(self, base_url: str, client: str = "raw") -> None:
        self.host, self.port = loopback_target(base_url)
        if client not in ("raw", "httpx"):
            raise ValueError("client is raw or httpx")
        self.client = client

    async def connect(self) -> RawConnection | HttpxConnection:
        if self.client == "httpx":
            return HttpxConnection(self.host, self.port)
        return await RawConnection.connect(self.host, self.port)


class Run:
    """One bounded run: shared by its virtual users, who record into one Result."""

    def __init__(
        self, target: Target, calls: Iterable[Call], expected: Iterable[int], duration: float
    ) -> None:
        self.target = target
        self.calls: Iterator[Call] = iter(calls)
        self.result = Result(frozenset(expected))
        self.deadline = time.perf_counter() + duration

    def next_call(self) -> Call | None:
        if time.perf_counter() >= self.deadline:
            return None
        return next(self.calls, None)

    async def send(
        self, connection: RawConnection | HttpxConnection | None, call: Call, since: float
    ) -> RawConnection | HttpxConnection | None:
        """Send one call and record it; returns the connection to use next (None if lost)."""
        try:
            if connection is None or not connection.open:
                connection = await self.target.connect()
            status = await connection.send(call)
        except (OSError, httpx.HTTPError, httptools.HttpParserError):
            status, connection = TRANSPORT_FAILURE, None
        self.result.latencies.append(time.perf_counter() - since)
        self.result.statuses[status] += 1
        return connection

    async def user(self) -> None:
        """A closed-loop virtual user: the next call as soon as the last one is answered."""
        connection = None
        while (call := self.next_call()) is not None:
            connection = await self.send(connection, call, time.perf_counter())
        if connection is not None:
            await connection.close()


async def closed_loop(
    target: Target,
    calls: Iterable[Call],
    *,
    concurrency: int,
    duration: float,
    expected: Iterable[int] = (200,),
) -> Result:
    """`concurrency` users send `calls` back to back until they run out or time is up."""
    run = Run(target, calls, expected, duration)
    started = time.perf_counter()
    await asyncio.gather(*(run.user() for _ in range(concurrency)))
    run.result.seconds = time.perf_counter() - started
    return run.result


async def open_loop(
    target: Target,
    calls: Iterable[Call],
    *,
    rate: float,
    duration: float,
    expected: Iterable[int] = (200,),
    max_in_flight: int = 256,
) -> Result:
    """Calls sent at `rate` per second, whatever the answers do, on up to `max_in_flight`
    connections; each latency counts from the moment its call was due."""
    run = Run(target, calls, expected, duration)
    idle: asyncio.Queue = asyncio.Queue()
    for _ in range(max_in_flight):
        idle.put_nowait(None)
    pending: set[asyncio.Task] = set()

    async def one(call: Call, due: float) -> None:
        connection = await idle.get()
        idle.put_nowait(await run.send(connection, call, due))

    started = time.perf_counter()
    sent = 0
    while (call := run.next_call()) is not None:
        due = started + sent / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        task = asyncio.create_task(one(call, due))
        pending.add(task)
        task.add_done_callback(pending.discard)
        sent += 1
    await asyncio.gather(*pending)
    run.result.seconds = time.perf_counter() - started
    while not idle.empty():
        if (connection := idle.get_nowait()) is not None:
            await connection.close()
    return run.result


def repeat(call: Call, times: int) -> Iterator[Call]:
    return (call for _ in range(times))


def run_async(coroutine: Coroutine[Any, Any, Result]) -> Result:
    """Run on uvloop (installed with uvicorn[standard]): a cheaper loop for the generator."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def main() -> None:
    parser = argparse.ArgumentParser(description="Load a loopback URL (GET) and report.")
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=32, help="closed-loop users")
    parser.add_argument("--rate", type=float, help="open loop: requests per second")
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds at most")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    parser.add_argument("--header", action="append", default=[], help="'Name: value'")
    args = parser.parse_args()
    parts = urlsplit(args.url)
    headers = tuple(tuple(h.split(": ", 1)) for h in args.header)
    call = Call("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers)
    target = Target(args.url, args.client)
    calls = repeat(call, args.requests)
    if args.rate:
        run = open_loop(target, calls, rate=args.rate, duration=args.duration)
    else:
        run = closed_loop(target, calls, concurrency=args.concurrency, duration=args.duration)
    print(run_async(run).summary())


if __name__ == "__main__":
    main()
