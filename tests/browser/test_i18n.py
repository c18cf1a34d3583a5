"""English is complete: no Chinese on the English page except place and person names."""

from __future__ import annotations

import re
import time

import pytest
from selenium.webdriver.common.by import By

from battlemap.geodata.access import mask_name
from tests.browser.helpers import screenshot, wait_for_map

pytestmark = pytest.mark.browser

CJK = re.compile(
    r"[\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+"
)

# Every text a user can read: the tab title, text nodes (HTML and the figures' SVG: axes,
# legends, colour bars), tooltip-like attributes, the figures' hover texts and templates.
# Text inside an element marked lang="zh" (the "中文" language link) is meant to be Chinese.
PAGE_TEXT_JS = """
const parts = [['title', document.title]];
const zh = el => el && el.closest('[lang="zh"], [lang="zh-CN"]') !== null
    && el.closest('[lang="zh"], [lang="zh-CN"]') !== document.documentElement;
const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walk.nextNode()) {
  const node = walk.currentNode, el = node.parentElement;
  if (!el || el.closest('script, style') || zh(el)) continue;
  if (node.textContent.trim()) parts.push([el.tagName + '#' + (el.id || ''), node.textContent]);
}
document.querySelectorAll('[title], [aria-label], [placeholder], [alt]').forEach(el => {
  if (zh(el)) return;
  ['title', 'aria-label', 'placeholder', 'alt'].forEach(a => {
    if (el.getAttribute(a)) parts.push([el.tagName + '@' + a, el.getAttribute(a)]);
  });
});
document.querySelectorAll('.js-plotly-plot').forEach(gd => {
  const where = (gd.closest('[id]') || {}).id || 'plot';
  (gd.data || []).forEach(t => {
    ['hovertemplate', 'name', 'text', 'customdata', 'hovertext', 'y', 'theta', 'x'].forEach(k => {
      if (t[k] !== undefined) parts.push([where + '.' + k, JSON.stringify(t[k])]);
    });
  });
  parts.push([where + '.layout', JSON.stringify(gd.layout || {})]);
});
return parts;
"""

ALL_LAYERS = "choropleth,labels,heat,households,by_cause,hexbins,flows"


import pandas as pd  # noqa: E402

from battlemap.geodata.funds import funds_source  # noqa: E402


def _names(store, codes: list[str], year: int) -> set[str]:
    """Place names (every region, flow destinations) and the masked household heads shown."""
    names = {info.name for info in store.regions._info.values()}
    for code in codes:
        names |= set(store.labour_flows(code, year)["destination_name"].astype(str))
        projects = funds_source(store).projects(code) if funds_source(store).available else None
        if projects is not None:  # project names and implementing units are data, not UI
            names |= set(projects["name"].astype(str)) | set(projects["unit"].astype(str))
        cadres = store.data_dir / "cadres.parquet"
        if cadres.exists():  # helpers' units and (masked) names are data, not UI
            frame = pd.read_parquet(cadres, columns=["name", "unit"])
            names |= set(frame["unit"].astype(str)) | {mask_name(n) for n in frame["name"]}
        if store.region(code).level >= 4:
            heads = store.households(code, year)["head_name"].tolist()
            names |= {mask_name(n) for n in heads} | {n for n in heads if n}
    return names


def _chinese(driver, names: set[str]) -> dict[str, str]:
    """CJK runs left after removing the names, with where they were found."""
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    found: dict[str, str] = {}
    for where, text in driver.execute_script(PAGE_TEXT_JS):
        for run in CJK.findall(pattern.sub("", text)):
            found.setdefault(run, f"{where}: {text[:160]}")
    return found


def _wait_panels(driver, timeout: float = 15.0) -> None:
    """Charts drawn and tables filled (they arrive after the map)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = driver.execute_script(
            "return ['cause-chart-box', 'trend-chart-box', 'radar-chart-box'].every("
            "id => document.querySelector('#' + id + ' .main-svg'))"
            " && document.querySelectorAll('#kpis .bm-tile').length > 0"
        )
        if ready:
            time.sleep(0.5)
            return
        time.sleep(0.1)
    raise AssertionError("side panels never drew")


@pytest.fixture
def chain(embedded_store) -> list[str]:
    """Province, its busiest county, that county's first township and its busiest village."""
    store = embedded_store
    root = store.regions.roots()[0].code
    county = max(
        store.regions.level_codes(3), key=lambda c: store.counts(c, 2016)["registered_households"]
    )
    township = store.regions.children(county)[0].code
    village = max(
        store.regions.children(township),
        key=lambda i: store.counts(i.code, 2016)["registered_households"],
    ).code
    return [root, county, township, village]


def test_english_page_has_no_chinese_but_names(dash_duo, battlemap_app, embedded_store, chain):
    store = embedded_store
    names = _names(store, chain, 2016)
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(1440, 900)
    leftovers = {}
    # with a comparison year, a cause filter and a household-type filter on the way
    extras = {
        chain[0]: "&compare=2014",
        chain[1]: "&filter=cause:01",
        chain[3]: "&filter=hh_type:2",
    }
    for code in (chain[0], chain[1], chain[3]):
        query = f"/?region={code}&year=2016&layers={ALL_LAYERS}&lang=en{extras[code]}"
        driver.get(dash_duo.server_url + query)
        wait_for_map(driver, code)
        _wait_panels(driver)
        assert driver.title == "Poverty Alleviation Battle Map"
        # the indicator dropdown's options exist only while it is open
        driver.find_element(By.ID, "indicator").click()
        dash_duo.wait_for_element("[role=option]")
        leftovers.update({k: f"{code} {v}" for k, v in _chinese(driver, names).items()})
        driver.find_element(By.TAG_NAME, "h1").click()
        screenshot(driver, f"i18n-en-level-{store.region(code).level}")
    assert leftovers == {}
    # a bad link's banner is in English too
    driver.get(dash_duo.server_url + "/?region=999999999999&year=1800&lang=en")
    wait_for_map(driver, chain[0])
    banner = dash_duo.wait_for_element("#error-banner")
    assert "invalid parameters" in banner.text and not CJK.search(banner.text)
    assert dash_duo.get_logs() == []


def test_exit_checks_in_english(dash_duo, battlemap_app, embedded_store, chain):
    """A failing county's checks read in English: labels, verdicts and the reasons."""
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.get(dash_duo.server_url + f"/?region={chain[1]}&year=2016&lang=en")
    wait_for_map(driver, chain[1])
    dash_duo.wait_for_contains_text("#exit-check-note", "County exit")
    table = dash_duo.wait_for_element("#exit-check-table")
    text = table.text
    assert "Poverty incidence" in text and "Public satisfaction" in text
    assert "is above the" in text  # the busiest county is far above 3 % in 2016
    assert not CJK.search(text)
