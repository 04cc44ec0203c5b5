"""One process at a time per folder: an ``flock`` on a lock file that names its holder.

A run folder (:func:`trainlab.run_dir.sole_writer`) and a sweep folder
(:func:`trainlab.sweeps.folder.hold_sweep`) each have one. The kernel releases the lock when its
process dies, so a killed process never leaves a folder locked; the file then still names it, and
the next holder learns that it takes over from a process that did not end cleanly (a clean
release empties the file).

Written by hand because ``filelock`` does not say who holds a lock, and a refusal should.
"""

from __future__ import annotations

import fcntl
import os
import socket
from dataclasses import dataclass
from pathlib import Path

HOLDER_BYTES = 200


class LockHeld(Exception):
    """Another live process holds the lock; ``holder`` names it (``pid N on HOST``)."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


@dataclass
class HeldLock:
    """A lock this process holds; ``stale_holder`` names a holder that died without releasing it."""

    path: Path
    descriptor: int
    stale_holder: str | None

    def release(self) -> None:
        """Give the lock up, emptying the file: the next holder sees a clean handover."""
        if self.descriptor < 0:
            return
        os.ftruncate(self.descriptor, 0)
        os.close(self.descriptor)
        self.descriptor = -1


def take_lock(path: Path) -> HeldLock:
    """Hold ``path``'s lock from now on; :class:`LockHeld` at once if a live process holds it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(descriptor) or "unknown"
        os.close(descriptor)
        raise LockHeld(holder) from None
    stale_holder = _holder(descriptor) or None
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
    return HeldLock(path, descriptor, stale_holder)


def lock_holder(path: Path) -> str | None:
    """Who holds ``path``'s lock now (``pid N on HOST``), or None when no live process does.

    Only looks: the file is neither created nor changed.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _holder(descriptor) or "unknown"
    finally:
        os.close(descriptor)  # also drops the shared lock, if it was taken
    return None


def _holder(descriptor: int) -> str:
    return os.pread(descriptor, HOLDER_BYTES, 0).decode(errors="replace").strip()
