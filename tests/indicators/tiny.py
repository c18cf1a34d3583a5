"""A tiny hand-made data dir (2 counties, 3 villages, 9 households, 2018–2019).

Every household is placed to hit one exit or warning rule, so the store counts below are
computed by hand from the table in this docstring, not by the code under test. Income lines:
2018 3535, 2019 3747 (1.5 × = 5302.5 / 5620.5; 1.8 × = 6363 / 6744.6).

=== ======== ==== ===================== =========================== ===========================
hh  village  size causes (primary; sec.) 2018                        2019
=== ======== ==== ===================== =========================== ===========================
h1  A1a      4    缺资金                poor, 2000                  exited 5000 → unstable
h2  A1a      3    缺资金; 因灾          exited 8000                 exited 5000: −37.5 % → sudden
h3  A1a      2    因学                  exited 4000, unsafe housing exited 9000
                                        → wrong exit; unstable
h4  A1a      5    缺技术; 因病          poor 3000                   poor 3800, all met
                                                                    → passing but poor
h5  A1b      1    因病                  exited 6000 → edge          exited 5300: −11.7 % and
                                                                    因病 → sudden
h6  A1b      2    缺水                  exited 7000                 exited 7000, no pension,
                                                                    water, electricity (75)
                                                                    → wrong exit
h7  B1a      3    因病                  exited 6000 → edge          exited 6000 → edge
h8  B1a      2    因残; 因病 因学       (not registered)            exited 4000 → unstable
h9  B1a      1    因灾                  exited 5000 → unstable      返贫 3000
=== ======== ==== ===================== =========================== ===========================

County A (520101, west) has 150 rural persons, county B (520102, east) 50. County
assessments: A 2019 satisfaction 90.0 / missed 2.0 (both boundaries); B 2018 95.0 / 1.0;
none for A 2018 or B 2019.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from battlemap.geodata.datadir import write_table

YEARS = (2018, 2019)
PROVINCE, CITY = "520000000000", "520100000000"
COUNTY_A, COUNTY_B = "520101000000", "520102000000"
TOWN_A, TOWN_B = "520101100000", "520102100000"
A1A, A1B, B1A = "520101100200", "520101100201", "520102100200"

# code: (level, name, parent, zone, x0) — each region a 1°-wide box starting at x0
_REGIONS = {
    PROVINCE: (1, "测试省", None, "west", 0.0, 3.0),
    CITY: (2, "测试市", PROVINCE, "west", 0.0, 3.0),
    COUNTY_A: (3, "甲县", CITY, "west", 0.0, 2.0),
    COUNTY_B: (3, "乙县", CITY, "east", 2.0, 3.0),
    TOWN_A: (4, "甲镇", COUNTY_A, "west", 0.0, 2.0),
    TOWN_B: (4, "乙镇", COUNTY_B, "east", 2.0, 3.0),
    A1A: (5, "甲一村", TOWN_A, "west", 0.0, 1.0),
    A1B: (5, "甲二村", TOWN_A, "west", 1.0, 2.0),
    B1A: (5, "乙一村", TOWN_B, "east", 2.0, 3.0),
}
_POPULATION = {A1A: 100, A1B: 50, B1A: 50}

# hh: (village, size, primary, secondary)
_HOUSEHOLDS = {
    "h1": (A1A, 4, "缺资金", []),
    "h2": (A1A, 3, "缺资金", ["因灾"]),
    "h3": (A1A, 2, "因学", []),
    "h4": (A1A, 5, "缺技术", ["因病"]),
    "h5": (A1B, 1, "因病", []),
    "h6": (A1B, 2, "缺水", []),
    "h7": (B1A, 3, "因病", []),
    "h8": (B1A, 2, "因残", ["因病", "因学"]),
    "h9": (B1A, 1, "因灾", []),
}
_ALL = {"housing_safe": True, "no_dropout": True, "medical_insured": True,
        "pension_insured": True, "water_safe": True, "electricity": True}  # fmt: skip
# (hh, year): (status, income, flag overrides)
_YEARS = {
    ("h1", 2018): ("未脱贫", 2000, {"housing_safe": False}),
    ("h1", 2019): ("已脱贫", 5000, {}),
    ("h2", 2018): ("已脱贫", 8000, {}),
    ("h2", 2019): ("已脱贫", 5000, {}),
    ("h3", 2018): ("已脱贫", 4000, {"housing_safe": False}),
    ("h3", 2019): ("已脱贫", 9000, {}),
    ("h4", 2018): ("未脱贫", 3000, {"water_safe": False}),
    ("h4", 2019): ("未脱贫", 3800, {}),
    ("h5", 2018): ("已脱贫", 6000, {}),
    ("h5", 2019): ("已脱贫", 5300, {}),
    ("h6", 2018): ("已脱贫", 7000, {}),
    ("h6", 2019): ("已脱贫", 7000,
                   {"pension_insured": False, "water_safe": False, "electricity": False}),
    ("h7", 2018): ("已脱贫", 6000, {}),
    ("h7", 2019): ("已脱贫", 6000, {}),
    ("h8", 2019): ("已脱贫", 4000, {}),
    ("h9", 2018): ("已脱贫", 5000, {}),
    ("h9", 2019): ("返贫", 3000, {}),
}  # fmt: skip
_ASSESSMENTS = [(COUNTY_A, 2019, 90.0, 2.0), (COUNTY_B, 2018, 95.0, 1.0)]


def _box(x0: float, x1: float) -> shapely.MultiPolygon:
    return shapely.MultiPolygon([shapely.box(100 + x0, 26.0, 100 + x1, 27.0)])


def write_tiny_data_dir(path: Path) -> Path:
    """Write the tiny data set (GeoParquet tables + manifest) into ``path``."""
    path.mkdir(parents=True, exist_ok=True)
    regions = gpd.GeoDataFrame(
        {
            "code": list(_REGIONS),
            "level": [r[0] for r in _REGIONS.values()],
            "name": [r[1] for r in _REGIONS.values()],
            "parent_code": [r[2] for r in _REGIONS.values()],
            "zone": [r[3] for r in _REGIONS.values()],
            "poverty_flag": [r[0] >= 3 and c != TOWN_B for c, r in _REGIONS.items()],
            "area_km2": [100.0 * (r[5] - r[4]) for r in _REGIONS.values()],
            "label_lon": [100.5 + r[4] for r in _REGIONS.values()],
            "label_lat": [26.5] * len(_REGIONS),
        },
        geometry=[_box(r[4], r[5]) for r in _REGIONS.values()],
        crs=4326,
    )
    regions.to_parquet(path / "regions.parquet", index=False)
    ids = list(_HOUSEHOLDS)
    lon = [100.5 + 0.01 * i + _REGIONS[_HOUSEHOLDS[h][0]][4] for i, h in enumerate(ids)]
    households = gpd.GeoDataFrame(
        {
            "hh_id": ids,
            "village_code": [_HOUSEHOLDS[h][0] for h in ids],
            "lon": lon,
            "lat": [26.5] * len(ids),
            "size": np.asarray([_HOUSEHOLDS[h][1] for h in ids], dtype=np.int16),
            "hh_type": ["一般户"] * len(ids),
            "primary_cause": [_HOUSEHOLDS[h][2] for h in ids],
            "secondary_causes": [_HOUSEHOLDS[h][3] for h in ids],
            "registered_year": np.asarray([2019 if h == "h8" else 2018 for h in ids], np.int16),
            "h3_r7": ["8740000ffffffff"] * len(ids),
            "h3_r9": ["8940000ffffffff"] * len(ids),
            "head_name": [f"户主{h}" for h in ids],
        },
        geometry=shapely.points(lon, [26.5] * len(ids)),
        crs=4326,
    )
    write_table(path, "households", households)  # as its part files
    rows = []
    for (hh, year), (status, income, overrides) in _YEARS.items():
        rows.append({"hh_id": hh, "year": year, "status": status,
                     "income_per_capita": float(income), **_ALL, **overrides,
                     "relocated": False})  # fmt: skip
    years = pd.DataFrame(rows).astype({"year": np.int16})
    write_table(path, "household_years", years)
    pd.DataFrame({
        "code": [c for c in _POPULATION for _ in YEARS],
        "year": np.asarray([y for _ in _POPULATION for y in YEARS], np.int16),
        "persons": [p for p in _POPULATION.values() for _ in YEARS],
    }).to_parquet(path / "rural_population.parquet", index=False)  # fmt: skip
    pd.DataFrame({
        "hh_id": pd.Series([], dtype=object), "year": pd.Series([], dtype=np.int16),
        "from_village_code": pd.Series([], dtype=object),
        "to_site_code": pd.Series([], dtype=object), "to_lon": pd.Series([], dtype=float),
        "to_lat": pd.Series([], dtype=float), "persons": pd.Series([], dtype=np.int16),
    }).to_parquet(path / "relocations.parquet", index=False)  # fmt: skip
    pd.DataFrame({
        "origin_county_code": pd.Series([], dtype=object), "year": pd.Series([], dtype=int),
        "destination_name": pd.Series([], dtype=object), "dest_lon": pd.Series([], dtype=float),
        "dest_lat": pd.Series([], dtype=float), "persons": pd.Series([], dtype=int),
    }).to_parquet(path / "labour_flows.parquet", index=False)  # fmt: skip
    pd.DataFrame(
        _ASSESSMENTS, columns=["code", "year", "satisfaction_pct", "missed_registration_pct"]
    ).astype({"year": np.int16}).to_parquet(path / "county_assessments.parquet", index=False)
    (path / "manifest.json").write_text(
        json.dumps({"synthetic": True, "years": list(YEARS), "note": "hand-made test set"}),
        encoding="utf-8",
    )
    return path


# Hand-computed counts (default rules) per region and year; metrics not listed are checked
# elsewhere (generated-data properties, parity).
EXPECTED: dict[tuple[str, int], dict[str, int]] = {
    (A1A, 2018): {
        "registered_households": 4,
        "poor_households": 2,
        "poor_persons": 9,
        "exited_households": 2,
        "new_exit_households": 2,
        "new_exit_persons": 5,
        "wrong_exit_households": 1,
        "wrong_exit_persons": 2,
        "passing_poor_households": 0,
        "warning_households_unstable": 1,
        "warning_households_edge": 0,
        "warning_households_sudden": 0,
        "guarantee_households_housing": 2,
        "guarantee_households_income": 2,
        "guarantee_households_water": 3,
        "cause_persons_09": 4,
        "cause_persons_07": 5,
        "any_cause_persons_01": 5,
        "any_cause_households_07": 1,
        "exit_pass_households": 1,
    },
    (A1A, 2019): {
        "registered_households": 4,
        "registered_persons": 14,
        "poor_households": 1,
        "poor_persons": 5,
        "exited_households": 3,
        "exited_persons": 9,
        "new_exit_households": 1,
        "new_exit_persons": 4,
        "wrong_exit_households": 0,
        "passing_poor_households": 1,
        "passing_poor_persons": 5,
        "warning_households_unstable": 1,
        "warning_persons_unstable": 4,
        "warning_households_sudden": 1,
        "warning_persons_sudden": 3,
        "warning_households_edge": 0,
        "guarantee_households_income": 4,
        "cause_persons_07": 5,
        "cause_persons_01": 0,
        "any_cause_persons_01": 5,
        "any_cause_persons_07": 5,
        "any_cause_households_01": 1,
        "exit_pass_households": 4,
    },
    (A1B, 2018): {
        "exited_households": 2,
        "wrong_exit_households": 0,
        "warning_households_edge": 1,
        "warning_persons_edge": 1,
        "warning_households_unstable": 0,
    },
    (A1B, 2019): {
        "registered_households": 2,
        "registered_persons": 3,
        "exited_persons": 3,
        "new_exit_households": 0,
        "wrong_exit_households": 1,
        "wrong_exit_persons": 2,
        "warning_households_sudden": 1,
        "warning_persons_sudden": 1,
        "warning_households_edge": 0,
        "guarantee_households_income": 2,
        "guarantee_households_pension": 1,
        "guarantee_households_water": 1,
        "guarantee_households_electricity": 1,
        "guarantee_households_medical": 2,
        "exit_pass_households": 1,
    },
    (B1A, 2018): {
        "registered_households": 2,
        "exited_persons": 4,
        "new_exit_households": 2,
        "warning_households_edge": 1,
        "warning_households_unstable": 1,
        "warning_persons_unstable": 1,
        "poor_persons": 0,
    },
    (B1A, 2019): {
        "registered_households": 3,
        "registered_persons": 6,
        "poor_households": 1,
        "poor_persons": 1,
        "returned_households": 1,
        "returned_persons": 1,
        "exited_households": 2,
        "exited_persons": 5,
        "new_exit_households": 1,
        "new_exit_persons": 2,
        "wrong_exit_households": 0,
        "passing_poor_households": 0,
        "warning_households_edge": 1,
        "warning_persons_edge": 3,
        "warning_households_unstable": 1,
        "warning_persons_unstable": 2,
        "warning_households_sudden": 0,
        "guarantee_households_income": 2,
        "cause_persons_04": 1,
        "any_cause_persons_04": 1,
        "any_cause_persons_01": 0,
    },
    (COUNTY_A, 2019): {
        "rural_population": 150,
        "poor_persons": 5,
        "exited_persons": 12,
        "wrong_exit_persons": 2,
        "warning_households_sudden": 2,
        "warning_households_unstable": 1,
    },
    (PROVINCE, 2019): {
        "rural_population": 200,
        "registered_households": 9,
        "poor_persons": 6,
        "wrong_exit_households": 1,
        "warning_households_unstable": 2,
        "warning_households_edge": 1,
        "warning_households_sudden": 2,
        "new_exit_households": 2,
        "passing_poor_households": 1,
    },
}
