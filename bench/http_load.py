"""A lean HTTP/1.1 keep-alive client for load generation on the same two cores as the server.

httpx spent about 2 ms of CPU per request here, as much as the app it measured, on the cores
the app and PostgreSQL share; pgbench, the yardstick, is a few microseconds of C per statement.
This client writes each request as one prepared byte string and reads the answer by its
Content-Length (or its chunks), which is all a benchmark needs from HTTP, so the load generator
takes a tenth of that and the cores go to what is measured.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass


class ProtocolProblem(Exception):
    """The server's answer was not HTTP/1.1 as this client reads it."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


class KeepAliveClient:
    """One connection to one server, one request at a time, as one browser tab or app would."""

    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """The open connection, or a new one when the server has closed the old one (uvicorn
        closes a keep-alive connection idle for five seconds, as between two phases)."""
        if self._reader is not None and self._reader.at_eof():
            await self.close()
        if self._reader is None or self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        return self._reader, self._writer

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Answer:
        reader, writer = await self._connection()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self._host}:{self._port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        try:
            return await _read_answer(reader)
        except (OSError, asyncio.IncompleteReadError, ProtocolProblem):
            await self.close()
            raise

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _read_answer(reader: asyncio.StreamReader) -> Answer:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolProblem(f"not an HTTP/1.1 status line: {status_line[:80]!r}")
    fields = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    if fields.get("transfer-encoding", "").lower() == "chunked":
        return Answer(int(parts[1]), await _read_chunks(reader))
    length = int(fields.get("content-length", "0"))
    return Answer(int(parts[1]), await reader.readexactly(length) if length else b"")


async def _read_chunks(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)
