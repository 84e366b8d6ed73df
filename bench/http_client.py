"""A small HTTP/1.1 keep-alive client on asyncio streams, for an open-loop
load: requests leave on a schedule, whatever the answers' latency. httpx
costs about a millisecond of CPU per request; at 500 requests/s on two
shared cores that would be the bench measuring itself."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    sent: float  # time.time() when the request was due
    answered: float  # time.time() when its answer was read


@dataclass
class Load:
    answers: list[Answer] = field(default_factory=list)
    late: int = 0  # requests that left more than 10 ms after their time
    seconds: float = 0.0

    @property
    def achieved(self) -> float:
        ok = sum(1 for a in self.answers if a.status < 300)
        return ok / self.seconds if self.seconds else 0.0


class Connection:
    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port
            )
        assert self.reader is not None
        data = json.dumps(body).encode()
        self.writer.write(
            (
                f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.head}"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}"
                "\r\n\r\n"
            ).encode()
            + data
        )
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        payload = await self.reader.readexactly(length)
        return int(status_line.split()[1]), json.loads(payload or b"{}")


async def open_loop(
    url: str,
    headers: dict[str, str],
    request: Callable[[int], tuple[str, dict[str, Any]]],
    rate: float,
    seconds: float,
    connections: int = 32,
) -> Load:
    """Sends request(i) at start + i / rate, on the first idle connection."""
    host, port = url.split("//", 1)[1].split(":")
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(Connection(host, int(port), headers))
    load = Load()
    start = time.perf_counter()
    wall = time.time() - start

    async def one(i: int, due: float) -> None:
        conn = await idle.get()
        if time.perf_counter() - due > 0.01:
            load.late += 1
        path, body = request(i)
        try:
            status, answer = await conn.post(path, body)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            conn.writer = None
            status, answer = 599, {}
        load.answers.append(Answer(status, answer, wall + due, time.time()))
        idle.put_nowait(conn)

    tasks = []
    for i in range(int(rate * seconds)):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    load.seconds = time.perf_counter() - start
    return load
