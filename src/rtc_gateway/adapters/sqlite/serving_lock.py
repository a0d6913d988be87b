"""One serving gateway per embedded evidence log: an OS lock held for the process lifetime.

Two gateways on one SQLite log would each rebuild the queues from it, both assign the
same conversations and interleave their writes. The lock is ``flock`` on a file beside
the database: the kernel releases it when the holder exits, however it exits, so a
crashed gateway never leaves a stale lock behind. The command-line tools (export,
erase-expired) do not take it: the log itself is safe with several writers.
"""

import contextlib
import fcntl
import os
from pathlib import Path

from rtc_gateway.ports.evidence_log import EvidenceLogInUse
from rtc_gateway.security.private_files import FILE_MODE, create_missing_dirs


class ServingLock:
    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`EvidenceLogInUse` at once (never waits)."""
        if self._fd is not None:
            return
        create_missing_dirs(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            os.fchmod(fd, FILE_MODE)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise EvidenceLogInUse(
                f"the evidence log in {self.path.parent} is in use by another gateway"
                f"{f' (pid {holder})' if holder else ''}; stop it or serve another data "
                "directory") from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)


def _read_holder(fd: int) -> str:
    """The pid the holder wrote, for the operator's message ('' if unreadable)."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return text if text.isdigit() else ""
