"""How the bot reaches the Bot API: an aiohttp connection pool.

PTB's default transport (httpx) serialises calls through a small pool; with real
network latency a crowd writing at once then waits on the pool. This transport
keeps many connections open so that answers to different users go out in
parallel (see benchmarks/burst.py for the measurement behind it).
"""

from __future__ import annotations

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """A :class:`telegram.request.BaseRequest` over one shared aiohttp session."""

    __slots__ = (
        "_connect_timeout",
        "_connection_limit",
        "_media_write_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_limit: int = 256,
        read_timeout: float | None = 10.0,
        write_timeout: float | None = 10.0,
        connect_timeout: float | None = 10.0,
        media_write_timeout: float | None = 30.0,
    ) -> None:
        self._connection_limit = connection_limit
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connection_limit, limit_per_host=self._connection_limit)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})

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
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        has_files = bool(request_data and request_data.contains_files)
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        write_default = self._media_write_timeout if has_files else self._write_timeout
        write = write_default if isinstance(write_timeout, DefaultValue) else write_timeout
        pool = None if isinstance(pool_timeout, DefaultValue) else pool_timeout
        # aiohttp has no separate write timeout: the whole exchange may take write + read
        total = None if read is None or write is None else read + write + (connect or 0) + (pool or 0)
        timeout = aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read)

        data: aiohttp.FormData | bytes | None = None
        headers = {}
        if request_data is not None and has_files:
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (file_name, content, mime_type) in request_data.multipart_data.items():
                form.add_field(name, content, filename=file_name, content_type=mime_type)
            data = form
        elif request_data is not None:
            data = request_data.json_payload
            headers["Content-Type"] = "application/json"
        try:
            async with self._session.request(method, url, data=data, headers=headers, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            # the message never carries the URL, which holds the bot token
            raise NetworkError(f"aiohttp.{err.__class__.__name__}") from err
