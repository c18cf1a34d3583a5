"""The open demo's session secret when none is configured: one for every worker.

Sessions (sign-in, display tokens, the ``/login`` form's CSRF token) are signed with the
Flask secret key. A random key per process breaks them as soon as two workers serve: a form
from one worker is refused by the other. ``battlemap run`` makes one key in the master
process before the workers fork (they inherit it); ``gunicorn battlemap.app:server -w N``
builds the app in each worker, so the key is kept in a file instead: ``session-secret`` in
the cache directory (``~/.cache/battlemap``, never the data dir), owner-only, created once:
the first worker writes it, the others read it. ``--production`` always needs a configured
secret (``BATTLEMAP_SECRET_KEY``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from pathlib import Path

__all__ = ["SECRET_FILE", "kept_secret"]

log = logging.getLogger(__name__)

SECRET_FILE = "session-secret"


def _read(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if len(text) >= 32 else None


def kept_secret(directory: Path) -> str | None:
    """The key kept in ``directory/session-secret`` (made on first use, mode 0600, the
    directory 0700); None when it cannot be written (each process then has its own key, so
    set ``BATTLEMAP_SECRET_KEY`` to serve with several workers)."""
    path = Path(directory) / SECRET_FILE
    found = _read(path)
    if found is not None:
        return found
    key = secrets.token_hex(32)
    temp = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        Path(directory).mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
        os.link(temp, path)  # atomic and never replaces: the first worker's key wins
    except FileExistsError:
        pass
    except OSError as exc:
        log.warning(
            "%s: cannot keep the session secret (%s): each worker has its own, so sessions "
            "do not cross workers; set BATTLEMAP_SECRET_KEY",
            directory,
            exc.strerror or exc,
        )
        return None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
    return _read(path)
