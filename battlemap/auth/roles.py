"""Roles and their rights: the one table every check reads (no scattered role checks).

A right is a capability, not a page: ``households`` lets household rows and exact points
leave the server, ``names`` shows head-of-household names unmasked, ``exports`` allows file
exports, ``manage_users`` the user admin, ``all_regions`` ignores the region scope and
``password`` allows a password sign-in (display screens use a revocable token instead).
"""

from __future__ import annotations

from dataclasses import dataclass

from battlemap.geodata.errors import BattlemapError

__all__ = ["ROLES", "ROLE_NAMES", "Rights", "rights_of"]


@dataclass(frozen=True)
class Rights:
    """What a role may do (see the module docstring for each field)."""

    all_regions: bool
    households: bool
    names: bool
    exports: bool
    manage_users: bool
    password: bool


# fmt: off
ROLES: dict[str, Rights] = {
    #                 all_regions households names  exports manage_users password
    "admin":   Rights(True,       True,      True,  True,   True,        True),
    "leader":  Rights(False,      True,      False, True,   False,       True),
    "planner": Rights(False,      True,      True,  True,   False,       True),
    "analyst": Rights(False,      False,     False, True,   False,       True),
    "display": Rights(False,      False,     False, False,  False,       False),
}
# fmt: on
ROLE_NAMES: tuple[str, ...] = tuple(ROLES)


def rights_of(role: str) -> Rights:
    """The rights of ``role``; a BattlemapError naming the known roles otherwise."""
    try:
        return ROLES[role]
    except KeyError:
        raise BattlemapError(f"unknown role {role!r}: use one of {', '.join(ROLE_NAMES)}") from None
