"""Files with personal data are readable by their owner only."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def write_private(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path``, created (or reset) as readable and writable by the owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), PRIVATE_FILE)  # an existing file keeps its mode through os.open
        out.write(content)


def make_private_folder(path: Path) -> None:
    """Create ``path`` (and its parents) for the bot's data; a folder the bot creates is private."""
    if not path.exists():
        path.mkdir(parents=True, mode=PRIVATE_FOLDER)
        path.chmod(PRIVATE_FOLDER)  # mkdir's mode goes through the umask
