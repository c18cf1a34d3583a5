"""The plain HTML sign-in form (no JavaScript): ``username``, ``password``, ``csrf_token``."""

from __future__ import annotations

from html import escape

from battlemap.i18n import t

__all__ = ["login_html", "logout_html"]

_PAGE = """<!DOCTYPE html>
<html lang="{html_lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · {signin}</title>
<style>
body {{ margin: 0; font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;
  background: #f4f1ea; color: #222; display: flex; min-height: 100vh;
  align-items: center; justify-content: center; }}
form {{ background: #fff; padding: 28px 32px; border-top: 6px solid #b71c1c;
  box-shadow: 0 2px 12px rgba(0,0,0,.12); width: 300px; }}
h1 {{ font-size: 20px; margin: 0 0 18px; }}
label {{ display: block; margin: 12px 0 4px; font-size: 14px; }}
input[type=text], input[type=password] {{ width: 100%; box-sizing: border-box;
  padding: 8px; font-size: 15px; border: 1px solid #bbb; }}
button {{ margin-top: 18px; width: 100%; padding: 9px; font-size: 16px; color: #fff;
  background: #b71c1c; border: 0; cursor: pointer; }}
.bm-login-error {{ color: #b71c1c; margin: 8px 0 0; font-size: 14px; }}
nav {{ margin-top: 14px; font-size: 13px; text-align: right; }}
</style>
</head>
<body>
<form method="post" action="{action}" id="login-form">
<h1>{title}</h1>
<input type="hidden" name="csrf_token" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<label for="username">{username}</label>
<input type="text" id="username" name="username" autocomplete="username" required autofocus>
<label for="password">{password}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
{error}
<button type="submit" id="login-submit">{signin}</button>
<nav><a href="{other_href}">{other_label}</a></nav>
</form>
</body>
</html>
"""


def login_html(*, action: str, csrf: str, lang: str, next_url: str = "", error: str = "") -> str:
    """The sign-in page; ``error`` (already translated) shows under the fields."""
    other = "en" if lang == "zh" else "zh"
    return _PAGE.format(
        html_lang="zh-CN" if lang == "zh" else "en",
        title=escape(t("title", lang)),
        signin=escape(t("signin", lang)),
        username=escape(t("username", lang)),
        password=escape(t("password", lang)),
        action=escape(action, quote=True),
        csrf=escape(csrf, quote=True),
        next=escape(next_url, quote=True),
        error=f'<p class="bm-login-error" role="alert">{escape(error)}</p>' if error else "",
        other_href=escape(f"{action}?lang={other}", quote=True),
        other_label="English" if other == "en" else "中文",
    )


def logout_html(*, action: str, csrf: str, lang: str) -> str:
    """A one-button form confirming the sign-out (POST with the CSRF token)."""
    form = (
        f'<form method="post" action="{escape(action, quote=True)}" id="logout-form">'
        f"<h1>{escape(t('title', lang))}</h1>"
        f'<input type="hidden" name="csrf_token" value="{escape(csrf, quote=True)}">'
        f'<button type="submit" id="logout-submit">{escape(t("signout", lang))}</button></form>'
    )
    page = login_html(action=action, csrf=csrf, lang=lang)
    start, end = page.index("<form"), page.index("</form>") + len("</form>")
    return page[:start] + form + page[end:]
