"""Sign-in configuration: production mode and the session secret (env or a secret file)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from battlemap.geodata.errors import BattlemapError

__all__ = ["SECRET_ENV", "AuthConfig", "load_secret"]

SECRET_ENV = "BATTLEMAP_SECRET_KEY"
MIN_SECRET_LENGTH = 16


def load_secret(secret_file: str | Path | None = None) -> str | None:
    """The session secret: ``--secret-file`` if given, else ``$BATTLEMAP_SECRET_KEY``.

    A file that cannot be read or a secret shorter than 16 characters is a BattlemapError.
    """
    if secret_file is not None:
        path = Path(secret_file)
        try:
            secret = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise BattlemapError(f"--secret-file {path}: cannot read it ({exc})") from None
        origin = f"--secret-file {path}"
    else:
        secret = os.environ.get(SECRET_ENV, "").strip()
        origin = SECRET_ENV
    if not secret:
        return None
    if len(secret) < MIN_SECRET_LENGTH:
        raise BattlemapError(
            f"{origin}: the secret must have at least {MIN_SECRET_LENGTH} characters"
        )
    return secret


@dataclass(frozen=True)
class AuthConfig:
    """``production``: sign-in required for everything but /login; ``secret_key`` signs the
    session cookie (None: a random per-process key, only allowed in the open demo)."""

    production: bool = False
    secret_key: str | None = None

    @classmethod
    def from_env(cls) -> AuthConfig:
        """``BATTLEMAP_PRODUCTION=1`` and ``BATTLEMAP_SECRET_KEY`` / ``BATTLEMAP_SECRET_FILE``
        (for ``gunicorn battlemap.app:server``)."""
        production = os.environ.get("BATTLEMAP_PRODUCTION", "").lower() in ("1", "true", "yes")
        return cls(production, load_secret(os.environ.get("BATTLEMAP_SECRET_FILE") or None))

    def require_secret(self) -> None:
        if self.production and not self.secret_key:
            raise BattlemapError(
                "--production needs a session secret: set BATTLEMAP_SECRET_KEY or pass "
                "--secret-file FILE"
            )
