"""Logging set-up that never writes the bot token."""

from __future__ import annotations

import logging
import sys


class RedactingFormatter(logging.Formatter):
    """Replaces secrets wherever they appear in a formatted record, tracebacks included."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self._secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text


def setup_logging(level: str, secrets: list[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and Telegram URLs carry the token
    for noisy in ("httpx", "httpcore", "apscheduler", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # PTB's DEBUG records hold whole updates and API calls: what people wrote, their names.
    # DEBUG is for Maillage's own records, which give ids and lengths, never texts
    # (aiosqlite's DEBUG records hold every statement's parameters)
    for verbose in ("telegram", "aiosqlite"):
        logging.getLogger(verbose).setLevel(max(logging.INFO, logging.getLevelName(level)))
