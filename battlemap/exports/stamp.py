"""The stamp every exported file carries, and the file-name rule.

A stamp says where a file came from: region name and code, year, indicator, the data's
as-of time, the exit rules' digest, "合成演示数据 / synthetic demo data" when the data are
synthetic, and when the file was made. File names come from the same:
``520100000000_2018_incidence.png`` (+ ``_<panel>`` for a panel other than the map).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from battlemap.geodata.access import ScopedStore
from battlemap.i18n import t
from battlemap.layers.catalog import INDICATORS
from battlemap.viewstate import ViewState

__all__ = ["SYNTHETIC_MARK", "Stamp", "data_as_of", "file_name", "make_stamp"]

SYNTHETIC_MARK = "合成演示数据 / synthetic demo data"
DEFAULT_PANELS = ("map", "indicators")  # panels whose files carry no panel suffix


def data_as_of(access: ScopedStore) -> str:
    """When the data were made or last changed (ISO, UTC, to the second): the manifest's
    time, else the data dir manifest file's modification time; "" when unknown."""
    manifest = access.manifest
    for key in ("as_of", "loaded_at", "imported_at", "generated_at"):
        if isinstance(manifest.get(key), str):
            return manifest[key]
    store = access.store
    data_dir = getattr(store, "data_dir", None)
    if data_dir is None:
        return ""
    # read once per store object: the version it opened, not files swapped in since (a
    # running app reopens the store, and so reads the new time, when it takes them up)
    if "_as_of_mtime" not in store.__dict__:
        path = Path(data_dir) / "manifest.json"
        when = datetime.fromtimestamp(path.stat().st_mtime, UTC) if path.exists() else None
        store.__dict__["_as_of_mtime"] = when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else ""
    return store.__dict__["_as_of_mtime"]


@dataclass(frozen=True)
class Stamp:
    """Where an exported file came from (see the module doc)."""

    region_code: str
    region_name: str
    year: int
    indicator: str
    indicator_label: str
    data_as_of: str
    rules_digest: str
    synthetic: bool
    generated_at: str
    language: str

    def as_dict(self) -> dict[str, Any]:
        """The stamp as file metadata (xlsx sheet, gpkg/geojson properties, HTML meta)."""
        return {
            "region_code": self.region_code,
            "region_name": self.region_name,
            "year": self.year,
            "indicator": self.indicator,
            "indicator_label": self.indicator_label,
            "data_as_of": self.data_as_of,
            "rules_digest": self.rules_digest,
            "synthetic": SYNTHETIC_MARK if self.synthetic else "",
            "generated_at": self.generated_at,
        }

    def title(self) -> str:
        """``贵阳市 (520100000000) · 2018 · 贫困发生率`` — a picture's title."""
        return f"{self.region_name} ({self.region_code}) · {self.year} · {self.indicator_label}"

    def source_line(self) -> str:
        """One line under a picture or a table: data as-of, rules, synthetic mark, made at."""
        en = self.language == "en"
        parts = [
            (f"Data as of {self.data_as_of}" if en else f"数据截至 {self.data_as_of}")
            if self.data_as_of
            else "",
            f"rules {self.rules_digest}" if en else f"规则 {self.rules_digest}",
            SYNTHETIC_MARK if self.synthetic else "",
            f"generated {self.generated_at}" if en else f"生成于 {self.generated_at}",
            t("title", self.language),
        ]
        return " · ".join(p for p in parts if p)

    def lines(self) -> list[str]:
        """Title and source line (CSV preamble, PDF/PNG footer)."""
        return [self.title(), self.source_line()]


def make_stamp(access: ScopedStore, state: ViewState, generated_at: datetime) -> Stamp:
    """The stamp of ``state`` read through ``access`` (scope checked)."""
    info = access.region(state.region)
    indicator = INDICATORS.get(state.indicator)
    label = indicator.name(state.lang) if indicator else state.indicator
    rules = getattr(access.store, "rules", None)
    return Stamp(
        region_code=info.code,
        region_name=info.name,
        year=state.year,
        indicator=state.indicator,
        indicator_label=label,
        data_as_of=data_as_of(access),
        rules_digest=rules.digest() if rules is not None else "",
        synthetic=bool(access.manifest.get("synthetic", False)),
        generated_at=generated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        language=state.lang,
    )


def file_name(region: str, year: int, indicator: str, extension: str, panel: str = "map") -> str:
    """``520100000000_2018_incidence.png``; a panel other than the map (or the indicator
    table) adds itself: ``520100000000_2018_incidence_trend.png``."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", indicator)
    suffix = "" if panel in DEFAULT_PANELS else f"_{re.sub(r'[^A-Za-z0-9_-]+', '-', panel)}"
    return f"{region}_{year}_{safe}{suffix}.{extension.lstrip('.')}"
