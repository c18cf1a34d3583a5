"""Serving the app safely: security headers and Host check, error wording, the WSGI server."""
