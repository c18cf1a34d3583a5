"""The code's layers point one way (DESIGN.md): cli, callbacks, exports, wall -> views ->
{layers, indicators, geodata}; indicators are pure rules (no store, no Dash, no plotly);
geodata applies those rules but never imports views, figures or Dash; layers never read a
store. Checked on every import statement of every module, module-level or not."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

# the vocabulary indicators may take from geodata: modules that import no indicators
GEODATA_LEAVES = {
    "battlemap.geodata.codes",
    "battlemap.geodata.schema",
    "battlemap.geodata.errors",
    "battlemap.geodata.funds_schema",
}
# the engines (layers.suppress takes only the SMALL_COUNT constant of geodata.access)
STORE_MODULES = ("battlemap.geodata.store", "battlemap.geodata.embedded",
                 "battlemap.geodata.postgis")  # fmt: skip
UPPER = ("battlemap.views", "battlemap.layers", "battlemap.callbacks", "battlemap.exports",
         "battlemap.wall", "battlemap.app", "battlemap.layout", "battlemap.cli")  # fmt: skip
UI = ("dash", "plotly", "flask")


def _modules(package: str) -> list[str]:
    root = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        names.append(info.name)
    return names


def _imports(module: str) -> set[str]:
    """Every module ``module`` imports (absolute names), wherever the statement is."""
    spec = importlib.util.find_spec(module)
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{alias.name}" for alias in node.names}
    return out


def _within(name: str, prefixes: tuple[str, ...] | set[str]) -> bool:
    return any(name == p or name.startswith(f"{p}.") for p in prefixes)


def _offenders(package: str, bad) -> list[str]:
    return sorted(
        f"{module} imports {name}"
        for module in _modules(package)
        for name in _imports(module)
        if bad(name)
    )


def test_indicators_are_pure_rules() -> None:
    def bad(name: str) -> bool:
        if _within(name, UI):
            return True
        if not name.startswith("battlemap.") or _within(name, ("battlemap.indicators",)):
            return False
        return not _within(name, GEODATA_LEAVES)

    assert _offenders("battlemap.indicators", bad) == []


def test_geodata_vocabulary_imports_no_indicators() -> None:
    """No cycle: the geodata modules indicators use import nothing of indicators."""
    for leaf in GEODATA_LEAVES:
        if importlib.util.find_spec(leaf) is None:
            continue
        assert not {n for n in _imports(leaf) if _within(n, ("battlemap.indicators",))}, leaf


def test_geodata_never_imports_views_figures_or_dash() -> None:
    assert _offenders("battlemap.geodata", lambda n: _within(n, UPPER + UI)) == []


@pytest.mark.parametrize("package", ["battlemap.layers", "battlemap.views"])
def test_no_callbacks_below_them(package) -> None:
    """layers and views are called by the page, exports and wall; never the other way."""
    upper = ("battlemap.callbacks", "battlemap.exports", "battlemap.wall", "battlemap.app",
             "battlemap.cli", "dash")  # fmt: skip
    assert _offenders(package, lambda n: _within(n, upper)) == []


def test_layers_never_read_a_store() -> None:
    assert _offenders("battlemap.layers", lambda n: _within(n, STORE_MODULES)) == []


def test_the_check_sees_a_wrong_import(tmp_path, monkeypatch) -> None:
    """A module importing the store from indicators is caught (the check is not blind)."""
    (tmp_path / "bm_probe").mkdir()
    (tmp_path / "bm_probe" / "__init__.py").write_text("")
    (tmp_path / "bm_probe" / "rule.py").write_text(
        "def f():\n    from battlemap.geodata.store import Store\n    return Store\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found = _offenders(
        "bm_probe", lambda n: n.startswith("battlemap.") and not _within(n, GEODATA_LEAVES)
    )
    assert found == [
        "bm_probe.rule imports battlemap.geodata.store",
        "bm_probe.rule imports battlemap.geodata.store.Store",
    ]
