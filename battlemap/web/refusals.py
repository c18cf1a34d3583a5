"""Malformed callback requests are refused with 400 and one log line, not a traceback.

A real callback's errors never get here (Dash's ``on_error`` turns them into the page's
banner). What does reach Flask from ``/_dash-update-component`` is a payload Dash cannot
dispatch: an unknown output, missing keys, wrong types. That is the client's fault: it gets a
plain 400 and the server log one line saying who sent what, so junk cannot fill the log with
tracebacks. Exceptions on any other route are bugs and keep their full traceback.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from battlemap.geodata.errors import one_line

__all__ = ["refuse_malformed_callbacks"]

log = logging.getLogger(__name__)
_CALLBACK_PATH = "_dash-update-component"


def refuse_malformed_callbacks(server: Flask) -> None:
    """Answer undispatchable callback payloads with 400 and log them in one line."""

    @server.errorhandler(Exception)
    def _refuse(error: Exception) -> Response | HTTPException:
        if isinstance(error, HTTPException):
            return error
        if request.path.endswith(_CALLBACK_PATH):
            log.warning(
                "refused callback request from %s: %s: %s",
                request.remote_addr,
                type(error).__name__,
                one_line(error),
            )
            response = jsonify({"error": "malformed callback request"})
            response.status_code = 400
            return response
        log.error("unhandled error on %s %s", request.method, request.path, exc_info=error)
        response = jsonify({"error": "internal error"})
        response.status_code = 500
        return response
