"""What ``--production`` needs before serving: a session secret and an admin to sign in."""

from __future__ import annotations

from battlemap.auth.config import AuthConfig
from battlemap.auth.store import AuthStore
from battlemap.geodata.errors import BattlemapError

__all__ = ["check_production"]


def check_production(
    config: AuthConfig, open_store: type[AuthStore] | None = None, **where
) -> None:
    """BattlemapError (one line, exit 2) without a secret or without an active admin.

    ``where``: ``kind``, ``data_dir``, ``dsn`` of the active store (as AuthStore.open).
    """
    if not config.production:
        return
    config.require_secret()
    try:
        store = (open_store or AuthStore).open(**where)
        admins = store.admin_count()
        store.close()
    except BattlemapError as exc:
        raise BattlemapError(f"--production cannot read the users: {exc}") from None
    if admins == 0:
        raise BattlemapError(
            "--production needs at least one active admin: battlemap user add NAME "
            "--role admin --scope CODE --password-stdin"
        )
