"""Who is asking: a signed-in user or a display token, with its role, scope and rights."""

from __future__ import annotations

from dataclasses import dataclass

from flask_login import UserMixin

from battlemap.auth.roles import Rights, rights_of
from battlemap.auth.store import Token, User
from battlemap.geodata.access import Scope

__all__ = ["Principal", "scope_of"]


@dataclass(frozen=True)
class Principal(UserMixin):
    """A signed-in user (``kind="user"``) or a display token (``kind="token"``).

    ``session_id`` is what the session cookie names; for users it carries a fingerprint of
    the password hash, so changing the password ends existing sessions.
    """

    kind: str
    name: str
    role: str
    scope: str
    session_id: str

    @classmethod
    def of_user(cls, user: User) -> Principal:
        return cls(
            "user", user.name, user.role, user.scope, f"u:{user.password_hash[-12:]}:{user.name}"
        )

    @classmethod
    def of_token(cls, token: Token) -> Principal:
        return cls(
            "token", f"token:{token.id}:{token.name}", token.role, token.scope, f"t:{token.id}"
        )

    @property
    def rights(self) -> Rights:
        return rights_of(self.role)

    def get_id(self) -> str:
        return self.session_id


def scope_of(principal: Principal) -> Scope:
    """The data scope a principal's role and region give (one rule for every request)."""
    rights = principal.rights
    return Scope(
        roots=() if rights.all_regions else (principal.scope,),
        pii=rights.names,
        households=rights.households,
        exports=rights.exports,
    )
