"""What a user is told when something fails: what failed, never where (issue 18.9).

Store and data-dir errors carry the DSN (user, host, port, database) or file paths, which
help an operator and must not reach a browser. :func:`public_message` turns an error into
words for the page, banner or JSON error, and logs the full message server-side as one line.
Errors about the user's own request (unknown region, year out of range, a region outside
the user's scope) are shown as they are: they name only what the user asked for.
"""

from __future__ import annotations

import logging

from battlemap.geodata.access import OutOfScopeError
from battlemap.geodata.errors import (
    DataDirError,
    RulesError,
    StoreUnavailableError,
    UnknownRegionError,
    YearOutOfRangeError,
)
from battlemap.i18n import t

__all__ = ["public_message"]

log = logging.getLogger(__name__)

_SHOWN_AS_IS = (UnknownRegionError, YearOutOfRangeError, OutOfScopeError)


def public_message(error: BaseException, lang: str = "zh") -> str:
    """The user-facing sentence for ``error``; logs internal details (one line)."""
    if isinstance(error, _SHOWN_AS_IS) or _is_refusal(error):
        return str(error)
    detail = " ".join(str(error).split())[:500] or type(error).__name__
    if isinstance(error, StoreUnavailableError):
        log.warning("store unavailable: %s", detail)
        return t("store_down", lang)
    if isinstance(error, DataDirError | RulesError):
        log.error("data unavailable: %s", detail)
        return t("data_unavailable", lang)
    log.error("request failed: %s: %s", type(error).__name__, detail)
    return t("internal_error", lang)


def _is_refusal(error: BaseException) -> bool:
    """An access refusal (out of scope, missing right): its message is for the user."""
    return any(cls.__name__ == "AccessRefusedError" for cls in type(error).__mro__)
