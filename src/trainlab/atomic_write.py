"""Files replaced atomically: a reader sees the old content or the new, never half of one."""

from __future__ import annotations

import os
from pathlib import Path

# Files are written to `.<name>.<pid>.tmp` beside their target, then renamed into place; a
# process killed meanwhile leaves such a file, which the folder's next writer removes.
TEMPORARY_GLOB = ".*.tmp"


def temporary_path(target: Path) -> Path:
    """Where ``target`` is written before it is renamed into place."""
    return target.with_name(f".{target.name}.{os.getpid()}.tmp")


def write_bytes_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` to a temporary file beside ``path``, then rename it into place.

    ``os.replace`` within one folder is atomic. If the write fails (a full disk), the temporary
    file is removed and the error raised; a process killed meanwhile leaves at most a stray
    :func:`temporary_path`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_path(path)
    try:
        temporary.write_bytes(content)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomically(path: Path, text: str) -> None:
    """:func:`write_bytes_atomically` for text (UTF-8)."""
    write_bytes_atomically(path, text.encode())
