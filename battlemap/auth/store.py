"""Users, display tokens and the audit log: the operations the CLI and the web app need.

``AuthStore.open(kind, data_dir=…, dsn=…)`` follows the data store: a SQLite file in the
embedded data dir, tables in PostGIS. Names, roles and scopes are validated here, so the
CLI and the app share one set of rules; every value reaches SQL as a bound parameter.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from battlemap.auth.backends import Backend, PostgresBackend, SqliteBackend
from battlemap.auth.passwords import check_new_password, hash_password
from battlemap.auth.roles import rights_of
from battlemap.geodata.codes import InvalidCodeError, normalize_code
from battlemap.geodata.errors import BattlemapError

__all__ = ["AuditEntry", "AuthStore", "Token", "User", "now_text", "parse_since"]

_NAME = re.compile(r"^[\w.@-]{1,64}$")
_USER_COLUMNS = "name, role, scope, password_hash, disabled, created, updated"
_TOKEN_COLUMNS = "id, name, role, scope, created, expires, revoked"
_AUDIT_COLUMNS = "at, who, address, region, action, detail, allowed"


def now_text(at: datetime | None = None) -> str:
    """UTC time as sortable ISO text (``2026-12-04T19:30:00.123456Z``)."""
    return (at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_since(text: str) -> str:
    """``--since``: an ISO date/time or a duration back from now (``30m``, ``12h``, ``7d``)."""
    match = re.fullmatch(r"(\d+)([mhd])", text.strip())
    if match:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        return now_text(datetime.now(UTC) - timedelta(**{unit: int(match.group(1))}))
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BattlemapError(
            f"--since {text!r}: use a date (2026-12-01), a time (2026-12-01T08:00) or 12h / 7d"
        ) from None
    return now_text(at if at.tzinfo else at.replace(tzinfo=UTC))


@dataclass(frozen=True)
class User:
    name: str
    role: str
    scope: str
    password_hash: str
    disabled: bool
    created: str
    updated: str


@dataclass(frozen=True)
class Token:
    """A display token (the secret itself is stored only as its SHA-256)."""

    id: str
    name: str
    role: str
    scope: str
    created: str
    expires: str | None
    revoked: str | None

    def valid(self, at: str | None = None) -> bool:
        """Neither revoked nor expired."""
        return self.revoked is None and (self.expires is None or (at or now_text()) < self.expires)


@dataclass(frozen=True)
class AuditEntry:
    at: str
    who: str
    address: str
    region: str
    action: str
    detail: str
    allowed: bool


def _hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


class AuthStore:
    """Users, tokens and audit rows in one :class:`Backend`."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    @classmethod
    def open(
        cls, kind: str = "embedded", *, data_dir: str | Path | None = None, dsn: str | None = None
    ) -> AuthStore:
        """The auth tables of the active store (``embedded``: data dir, ``postgis``: DSN)."""
        if kind == "postgis":
            return cls(PostgresBackend(dsn))
        if data_dir is None:
            raise BattlemapError("no data dir given: pass --data-dir")
        return cls(SqliteBackend(data_dir))

    def close(self) -> None:
        self.backend.close()

    # -- validation ----------------------------------------------------------------------
    @staticmethod
    def check_name(name: str) -> str:
        if not _NAME.match(name or ""):
            raise BattlemapError(
                f"user name {name!r}: use 1–64 letters, digits, '.', '_', '-' or '@'"
            )
        return name

    def check_scope(self, code: str) -> str:
        """The 12-digit form of a scope code that names a region of the data set."""
        try:
            full = normalize_code(code)
        except InvalidCodeError as exc:
            raise BattlemapError(f"--scope: {exc}") from None
        if self.backend.region_exists(full) is False:
            raise BattlemapError(f"--scope {code}: no such region in the data set")
        return full

    # -- users ---------------------------------------------------------------------------
    def add_user(self, name: str, role: str, scope: str, password: str) -> User:
        self.check_name(name)
        rights = rights_of(role)
        if not rights.password:
            raise BattlemapError(f"role {role!r} signs in with a token: use battlemap token add")
        scope = self.check_scope(scope)
        if self.user(name) is not None:
            raise BattlemapError(f"user {name!r} already exists")
        stamp = now_text()
        self.backend.query(
            f"INSERT INTO bm_users ({_USER_COLUMNS}) VALUES (?, ?, ?, ?, 0, ?, ?)",
            name, role, scope, hash_password(check_new_password(password)), stamp, stamp,
        )  # fmt: skip
        return self.require_user(name)

    def user(self, name: str) -> User | None:
        rows = self.backend.query(f"SELECT {_USER_COLUMNS} FROM bm_users WHERE name = ?", name)
        return _user(rows[0]) if rows else None

    def users(self) -> list[User]:
        rows = self.backend.query(f"SELECT {_USER_COLUMNS} FROM bm_users ORDER BY name")
        return [_user(r) for r in rows]

    def admin_count(self) -> int:
        rows = self.backend.query(
            "SELECT count(*) FROM bm_users WHERE role = 'admin' AND disabled = 0"
        )
        return int(rows[0][0])

    def require_user(self, name: str) -> User:
        user = self.user(name)
        if user is None:
            raise BattlemapError(f"no user {name!r} (battlemap user list shows them)")
        return user

    def _update(self, name: str, column: str, value: object) -> User:
        self.require_user(name)
        self.backend.query(
            f"UPDATE bm_users SET {column} = ?, updated = ? WHERE name = ?", value, now_text(), name
        )
        return self.require_user(name)

    def set_role(self, name: str, role: str) -> User:
        if not rights_of(role).password:
            raise BattlemapError(f"role {role!r} is for tokens only")
        return self._update(name, "role", role)

    def set_scope(self, name: str, scope: str) -> User:
        return self._update(name, "scope", self.check_scope(scope))

    def set_disabled(self, name: str, disabled: bool = True) -> User:
        return self._update(name, "disabled", 1 if disabled else 0)

    def set_password(self, name: str, password: str) -> User:
        return self._update(name, "password_hash", hash_password(check_new_password(password)))

    # -- display tokens ------------------------------------------------------------------
    def add_token(
        self, name: str, scope: str, *, role: str = "display", days: float | None = None
    ) -> tuple[Token, str]:
        """A new token and its secret (shown once; only the hash is stored)."""
        self.check_name(name)
        rights_of(role)
        scope = self.check_scope(scope)
        secret = secrets.token_urlsafe(32)
        token_id = secrets.token_hex(4)
        stamp = now_text()
        expires = None
        if days is not None:
            if days <= 0:
                raise BattlemapError("--days must be positive")
            expires = now_text(datetime.now(UTC) + timedelta(days=days))
        self.backend.query(
            "INSERT INTO bm_tokens (id, name, token_hash, role, scope, created, expires) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            token_id, name, _hash_token(secret), role, scope, stamp, expires,
        )  # fmt: skip
        token = self.token(token_id)
        assert token is not None
        return token, f"{token_id}.{secret}"

    def token(self, token_id: str) -> Token | None:
        rows = self.backend.query(f"SELECT {_TOKEN_COLUMNS} FROM bm_tokens WHERE id = ?", token_id)
        return _token(rows[0]) if rows else None

    def tokens(self) -> list[Token]:
        rows = self.backend.query(f"SELECT {_TOKEN_COLUMNS} FROM bm_tokens ORDER BY created")
        return [_token(r) for r in rows]

    def token_for_secret(self, presented: str) -> Token | None:
        """The valid token a presented ``id.secret`` string belongs to, else None."""
        token_id, _, secret = (presented or "").partition(".")
        if not token_id or not secret or len(presented) > 200:
            return None
        rows = self.backend.query(
            f"SELECT {_TOKEN_COLUMNS}, token_hash FROM bm_tokens WHERE id = ?", token_id
        )
        if not rows or not secrets.compare_digest(rows[0][-1], _hash_token(secret)):
            return None
        token = _token(rows[0][:-1])
        return token if token.valid() else None

    def revoke_token(self, token_id: str) -> Token:
        if self.token(token_id) is None:
            raise BattlemapError(f"no token {token_id!r} (battlemap token list shows them)")
        self.backend.query(
            "UPDATE bm_tokens SET revoked = ? WHERE id = ? AND revoked IS NULL",
            now_text(), token_id,
        )  # fmt: skip
        token = self.token(token_id)
        assert token is not None
        return token

    # -- audit ---------------------------------------------------------------------------
    def audit(
        self,
        *,
        who: str,
        address: str,
        region: str,
        action: str,
        detail: str = "",
        allowed: bool,
    ) -> None:
        """Append one audit row (who, when, from where, which region, what, allowed)."""
        self.backend.query(
            f"INSERT INTO bm_audit ({_AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            now_text(), who[:200], address[:100], region[:40], action[:100], detail[:500],
            1 if allowed else 0,
        )  # fmt: skip

    def audit_entries(
        self,
        *,
        user: str | None = None,
        since: str | None = None,
        refused: bool = False,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """Audit rows, oldest first, filtered by user, start time and refusals only."""
        where, params = [], []
        if user is not None:
            where.append("who = ?")
            params.append(user)
        if since is not None:
            where.append("at >= ?")
            params.append(since)
        if refused:
            where.append("allowed = 0")
        sql = f"SELECT {_AUDIT_COLUMNS} FROM bm_audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id"
        if limit is not None:
            sql += f" DESC LIMIT {int(limit)}"
            rows = self.backend.query(sql, *params)[::-1]
        else:
            rows = self.backend.query(sql, *params)
        return [AuditEntry(*r[:6], allowed=bool(r[6])) for r in rows]


def _user(row: tuple) -> User:
    name, role, scope, password_hash, disabled, created, updated = row
    return User(name, role, scope, password_hash, bool(disabled), created, updated)


def _token(row: tuple) -> Token:
    return Token(*row)
