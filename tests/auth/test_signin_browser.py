"""The sign-in flow in real Chromium: /login form → the map of the user's county only;
another county by URL shows 无权访问; sign-out returns to /login."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By

from tests.auth.conftest import PASSWORD
from tests.browser.helpers import screenshot, wait_for_map

pytestmark = pytest.mark.browser


def _text_appears(driver, selector: str, text: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        for element in driver.find_elements(By.CSS_SELECTOR, selector):
            seen = element.text
            if text in seen:
                return seen
        time.sleep(0.1)
    raise AssertionError(f"{selector} never showed {text!r}; last: {seen!r}")


def _sign_in(driver, base: str, name: str, password: str) -> None:
    driver.get(f"{base}/login")
    driver.find_element(By.ID, "username").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()


def test_sign_in_flow(dash_duo, app, regions, embedded_store) -> None:
    dash_duo.start_server(app, navigate=False)
    base = dash_duo.server.url.rstrip("/")
    driver = dash_duo.driver
    # unsigned: the page is the sign-in form
    driver.get(f"{base}/?region={regions.county_a}")
    assert "/login" in driver.current_url
    assert driver.find_element(By.ID, "login-form").is_displayed()
    # a wrong password: the form again, with the reason
    _sign_in(driver, base, "plan", "not the password")
    assert "用户名或密码错误" in _text_appears(driver, ".bm-login-error", "用户名或密码错误")
    screenshot(driver, "auth-login-failed", park=False)
    # the right one: the map of the planner's county, the bar names the user
    _sign_in(driver, base, "plan", PASSWORD)
    wait_for_map(driver, regions.county_a, timeout=30)
    county = embedded_store.region(regions.county_a).name
    _text_appears(driver, "#access-bar", f"plan（规划人员）· 范围 {county}")
    cookies = {c["name"]: c for c in driver.get_cookies()}
    assert cookies["battlemap_session"]["httpOnly"] is True
    assert cookies["battlemap_session"]["sameSite"] == "Lax"
    screenshot(driver, "auth-signed-in")
    # another county by URL: refused in the page, not replaced by another view
    driver.get(f"{base}/?region={regions.county_b}")
    _text_appears(driver, ".bm-error", "无权访问")
    assert embedded_store.region(regions.county_b).name not in driver.page_source
    screenshot(driver, "auth-refused", park=False)
    driver.find_element(By.CSS_SELECTOR, "a.bm-home").click()  # back to the own county
    wait_for_map(driver, regions.county_a, timeout=30)
    # sign out: back to the form; the map is gone
    driver.find_element(By.ID, "signout").click()
    driver.find_element(By.ID, "logout-submit").click()
    deadline = time.monotonic() + 10
    while "/login" not in driver.current_url and time.monotonic() < deadline:
        time.sleep(0.1)
    assert driver.current_url.endswith("/login")
    driver.get(f"{base}/")
    assert "/login" in driver.current_url
