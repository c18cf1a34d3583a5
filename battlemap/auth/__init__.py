"""Who sees what: roles and rights, users and tokens in the active store, sign-in, audit.

``roles`` (the one table of rights), ``store`` (users, tokens, audit rows), ``principal``
(a request's user or token and its data scope), ``web`` (Flask sessions, /login, the gate).
"""
