"""One run at a time per output folder.

A run (or a single stage) holds an exclusive lock on ``<output>/.sgpipe.lock``
while it writes. A second run on the same folder either stops at once with
:class:`OutputLocked` (naming the folder and the other run's process id), or, with
``wait=True``, waits until the first run has finished. Without the lock two runs
removed each other's temporary files and one failed half-way ("No such file or
directory: '.../.recommendations.parquet.<random>.tmp'").

The lock is an advisory ``flock`` on the lock file (POSIX): it is released by the
operating system when the process ends, so a killed run never leaves a stale lock
behind; the file itself stays (removing it would let a waiting run lock a file
that a third run no longer sees). The pid written in it is only for the message.
Taking the lock again in the same process for the same folder is a no-op, so a
command may lock and then call library functions that lock too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, with a warning
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

LOCK_NAME = ".sgpipe.lock"
#: Folders this process holds the lock of, with how many nested holders.
_HELD: dict[str, int] = {}


class OutputLocked(RuntimeError):
    """Another process holds the lock of an output folder."""

    def __init__(self, folder: Path, pid: int | None) -> None:
        self.folder = folder
        self.pid = pid
        who = f"process {pid}" if pid else "another process"
        super().__init__(
            f"{folder} is in use by another sgpipe run ({who}); nothing was written. "
            "Wait for it to finish, or run with --wait to queue behind it."
        )


def lock_holder(folder: str | os.PathLike[str]) -> int | None:
    """The process id recorded in ``folder``'s lock file, or ``None`` when unknown."""
    try:
        text = (Path(folder) / LOCK_NAME).read_text(encoding="ascii").strip()
        return int(text.split()[0]) if text else None
    except (OSError, ValueError, IndexError):
        return None


@contextlib.contextmanager
def output_lock(
    folder: str | os.PathLike[str], *, wait: bool = False, poll: float = 0.2
) -> Iterator[Path]:
    """Hold the lock of the output ``folder`` (created if absent) for the ``with`` block.

    Raises :class:`OutputLocked` at once when another process holds it, unless
    ``wait`` is true: then it waits (logging once whom it waits for). Yields the folder.
    """
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    key = str(root.resolve())
    if key in _HELD or fcntl is None:
        if fcntl is None:
            log.warning("no file locking on this platform: do not run twice on %s", root)
        _HELD[key] = _HELD.get(key, 0) + 1
        try:
            yield root
        finally:
            _release_count(key)
        return
    fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, root, wait=wait, poll=poll)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        _HELD[key] = 1
        try:
            yield root
        finally:
            _HELD.pop(key, None)
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


def _release_count(key: str) -> None:
    n = _HELD.get(key, 1) - 1
    if n > 0:
        _HELD[key] = n
    else:
        _HELD.pop(key, None)


def _acquire(fd: int, root: Path, *, wait: bool, poll: float) -> None:
    assert fcntl is not None
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pid = lock_holder(root)
            if not wait:
                raise OutputLocked(root, pid) from None
            if not told:
                log.warning("waiting for the run in process %s to finish with %s", pid, root)
                told = True
            time.sleep(poll)
