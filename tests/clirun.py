"""Run the installed ``battlemap`` console script as a user would (for CLI tests)."""

from __future__ import annotations

import os
import shutil
import subprocess

__all__ = ["run_cli"]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    exe = shutil.which("battlemap")
    assert exe, "the battlemap console script is not installed (pip install -e .)"
    return subprocess.run(
        [exe, *args],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
