"""Progress on stderr: rows read, rejected and rows/s; one updating line on a terminal."""

from __future__ import annotations

import resource
import sys
import time
from typing import TextIO

__all__ = ["Progress", "peak_memory_mb"]


def peak_memory_mb() -> int:
    """This process's peak resident memory in MB.

    Linux's ``VmHWM`` counts from the program's start; ``ru_maxrss`` (the fallback) also
    keeps what the parent held when it forked this process.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


class Progress:
    """Prints at most every ``interval`` seconds (always for steps and the last update)."""

    def __init__(
        self, *, quiet: bool = False, stream: TextIO | None = None, interval: float = 1.0
    ) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.interval = interval
        self.start = time.perf_counter()
        self._last = 0.0
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._open_line = False

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def rows(self, read: int, rejected: int, *, final: bool = False) -> None:
        """Rows read so far; prints when due."""
        now = time.perf_counter()
        if self.quiet or (not final and now - self._last < self.interval):
            return
        self._last = now
        rate = read / max(now - self.start, 1e-9)
        line = f"read {read:,} rows, {rejected:,} rejected, {rate:,.0f} rows/s"
        if self._tty:
            self.stream.write(f"\r{line}\x1b[K")
            self._open_line = True
            if final:
                self.stream.write("\n")
                self._open_line = False
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def step(self, message: str) -> None:
        """A named phase (checks, writing, database), with the time and peak memory so far."""
        if self.quiet:
            return
        if self._open_line:
            self.stream.write("\n")
            self._open_line = False
        peak = peak_memory_mb()
        self.stream.write(f"[{self.elapsed:6.1f}s {peak:5d} MB] {message}\n")
        self.stream.flush()
