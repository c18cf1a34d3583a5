"""The line above the page saying who is signed in (with 退出登录), or that this is the
open demo on synthetic data."""

from __future__ import annotations

from dash import html

from battlemap.auth.principal import Principal
from battlemap.i18n import t

__all__ = ["ACCESS_BAR", "access_bar"]

ACCESS_BAR = "access-bar"


def access_bar(
    principal: Principal | None, *, lang: str, scope_name: str, prefix: str = "/"
) -> html.Div:
    """Signed in: name, role, scope and a sign-out button; anonymous: the open-demo banner."""
    if principal is None:
        return html.Div(t("open_demo", lang), id=ACCESS_BAR, className="bm-access-bar demo")
    text = t("signed_in_as", lang).format(
        name=principal.name, role=t(f"role_{principal.role}", lang), scope=scope_name
    )
    children: list = [html.Span(text, className="bm-access-who")]
    if principal.kind == "user":  # GET /logout asks to confirm (a CSRF-checked POST)
        children.append(html.A(t("signout", lang), href=f"{prefix}logout", id="signout"))
    return html.Div(children, id=ACCESS_BAR, className="bm-access-bar")
