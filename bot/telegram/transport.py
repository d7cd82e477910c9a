"""How the bot reaches the Bot API: an aiohttp connection pool, with PTB's timeouts.

PTB's default transport (httpx) serialises calls through a small pool; with real
network latency a crowd writing at once then waits on the pool. This transport
keeps many connections open so that answers to different users go out in
parallel (see benchmarks/burst.py for the measurement behind it).

Each timeout applies to its own phase, as in PTB's ``HTTPXRequest``:

- pool: waiting for one of the ``connection_limit`` connections. A call that waits longer
  raises ``NotSent`` (a ``TimedOut``) before anything leaves: retrying it cannot send twice;
- connect: opening a connection;
- write: handing each chunk of the request's body to the network (a stalled upload or a large call);
- read: between two chunks of the answer, not for the whole of it: a slow but steady
  download completes.

Any other ``TimedOut`` may have reached Telegram. Error texts keep their cause and never
the bot token, which is part of every URL.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

if TYPE_CHECKING:
    from telegram._utils.types import ODVInput

CHUNK = 64 * 1024  # an upload goes out in pieces of this size, each within the write timeout
POOL_TIMEOUT = (
    "Pool timeout: all connections to Telegram are busy; the request was not sent "
    "(a larger connection pool or pool timeout would let it wait)"
)


class NotSent(TimedOut):
    """No connection came free within the pool timeout: nothing was sent, so a retry is safe."""

    def __init__(self) -> None:
        super().__init__(POOL_TIMEOUT)


class AiohttpRequest(BaseRequest):
    """A :class:`telegram.request.BaseRequest` over one shared aiohttp session."""

    __slots__ = (
        "_connect_timeout",
        "_connection_limit",
        "_media_write_timeout",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_slots",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_limit: int = 256,
        read_timeout: float | None = 10.0,
        write_timeout: float | None = 10.0,
        connect_timeout: float | None = 10.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 30.0,
    ) -> None:
        self._connection_limit = connection_limit
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # the connector never makes a call wait: the slots below do, under the pool timeout
            connector = aiohttp.TCPConnector(limit=self._connection_limit, limit_per_host=self._connection_limit)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})
            self._slots = asyncio.Semaphore(self._connection_limit)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed or self._slots is None:
            raise RuntimeError("AiohttpRequest is not initialized")
        has_files = bool(request_data and request_data.contains_files)
        write_default = self._media_write_timeout if has_files else self._write_timeout
        try:
            async with asyncio.timeout(_given(pool_timeout, self._pool_timeout)):
                await self._slots.acquire()
        except TimeoutError:
            raise NotSent from None
        try:
            return await self._exchange(
                url,
                method,
                request_data,
                read=_given(read_timeout, self._read_timeout),
                write=_given(write_timeout, write_default),
                connect=_given(connect_timeout, self._connect_timeout),
            )
        finally:
            self._slots.release()

    async def _exchange(
        self,
        url: str,
        method: str,
        request_data: RequestData | None,
        *,
        read: float | None,
        write: float | None,
        connect: float | None,
    ) -> tuple[int, bytes]:
        assert self._session is not None
        timeout = aiohttp.ClientTimeout(total=None, connect=connect, sock_connect=connect, sock_read=read)
        headers: dict[str, str] = {}
        try:
            async with asyncio.timeout(None) as writing:
                body: AsyncIterator[bytes] | None = None
                if request_data is not None:  # every body, files or not, goes out under the write timeout
                    content, content_type = (
                        multipart(request_data)
                        if request_data.contains_files
                        else (request_data.json_payload, "application/json")
                    )
                    headers = {"Content-Type": content_type, "Content-Length": str(len(content))}
                    body = _in_chunks(content, writing, write, read)
                async with self._session.request(method, url, data=body, headers=headers, timeout=timeout) as response:
                    writing.reschedule(None)  # the answer has begun: from here, the read timeout only
                    return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut(f"Timed out: {_phase(err)}") from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {without_token(str(err), url)}") from err


def _given(value: ODVInput[float], default: float | None) -> float | None:
    """A timeout passed for this call, or this transport's own when the caller left it to us."""
    return default if value is BaseRequest.DEFAULT_NONE else value  # type: ignore[return-value]


async def _in_chunks(
    content: bytes, writing: asyncio.Timeout, write: float | None, read: float | None
) -> AsyncIterator[bytes]:
    """The upload, a chunk at a time: each must be taken by the network within the write timeout
    (aiohttp asks for the next one once the previous has drained)."""
    loop = asyncio.get_running_loop()
    for start in range(0, len(content), CHUNK):
        writing.reschedule(None if write is None else loop.time() + write)
        yield content[start : start + CHUNK]
    # the last chunk drains, then the answer is awaited under the read timeout (aiohttp's own)
    writing.reschedule(None if write is None or read is None else loop.time() + write + read)


def _phase(err: BaseException) -> str:
    if isinstance(err, aiohttp.ConnectionTimeoutError):
        return "could not connect to Telegram within the connect timeout"
    if isinstance(err, aiohttp.ServerTimeoutError):
        return "no data from Telegram within the read timeout"
    return "the request could not be written within the write timeout"


def without_token(text: str, url: str) -> str:
    """An error's text with the bot token (in the URL's path, after /bot) taken out."""
    match = re.search(r"/(?:file/)?bot([^/]+)", url)
    if match is not None:
        text = text.replace(match.group(1), "<token>")
    return re.sub(r"bot\d+:[A-Za-z0-9_-]+", "bot<token>", text)


def multipart(data: RequestData) -> tuple[bytes, str]:
    """multipart/form-data for an upload: the parameters as fields, the files as file parts."""
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in data.json_parameters.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'.encode())
        parts.append(value.encode() + b"\r\n")
    for name, (file_name, content, mime_type) in data.multipart_data.items():
        disposition = f'form-data; name="{_quoted(name)}"; filename="{_quoted(file_name or name)}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {mime_type}\r\n\r\n"
        parts.append(head.encode())
        parts.append((content if isinstance(content, bytes) else content.read()) + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _quoted(value: str) -> str:
    """A name in a Content-Disposition header, as browsers escape it (HTML's form encoding)."""
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
