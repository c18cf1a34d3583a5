"""A messy household-year CSV with one row for every kind of problem, and its expected rejects.

Built from real rows of the test county so that good rows stay good; each bad row is a copy
of a good one with one thing broken. Rows are numbered as a spreadsheet shows them (header 1).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from battlemap.geodata.importer.headers import FIELD_BY_NAME


@dataclass
class Messy:
    """The file, the reason expected for each rejected row, and what should load."""

    path: Path
    rejects: dict[int, str] = field(default_factory=dict)  # row → reason
    details: dict[int, str] = field(default_factory=dict)  # row → expected detail fragment
    loaded_rows: int = 0
    loaded_households: set[str] = field(default_factory=set)
    blank: int = 0
    tolerated_point: tuple[str, float, float] | None = None


def _point_just_outside(
    poly: shapely.Geometry, x: float, y: float, metres: float
) -> tuple[float, float]:
    """A point ``metres`` outside ``poly``, beyond its boundary point nearest to (x, y)."""
    edge = shapely.ops.nearest_points(poly.boundary, shapely.Point(x, y))[0]
    dx, dy = (edge.x - x) * np.cos(np.radians(y)), edge.y - y
    norm = np.hypot(dx, dy)
    step = metres / 111_320.0
    return (
        round(edge.x + dx / norm * step / np.cos(np.radians(y)), 6),
        round(edge.y + dy / norm * step, 6),
    )


def build_messy(
    rows: pd.DataFrame, regions: gpd.GeoDataFrame, other_county_id: str, path: Path
) -> Messy:
    """Write the messy file to ``path`` (Chinese headers, UTF-8) and return expectations."""
    import shapely.ops  # noqa: F401 - used by _point_just_outside

    households = list(dict.fromkeys(rows["hh_id"]))
    full = [h for h in households if (rows["hh_id"] == h).sum() == 7]
    by_hh = {h: rows[rows["hh_id"] == h].to_dict("records") for h in full[:40]}
    it = iter(by_hh)
    good = [next(it) for _ in range(3)]
    labels = {name: FIELD_BY_NAME[name].label for name in rows.columns}
    out: list[list[str] | str] = []  # a str is written as a raw line
    messy = Messy(path)

    def emit(record: dict, reason: str | None = None, detail: str = "") -> int:
        out.append(["" if v is None else str(v) for v in record.values()])
        row = len(out) + 1
        if reason:
            messy.rejects[row] = reason
            if detail:
                messy.details[row] = detail
        else:
            messy.loaded_rows += 1
            messy.loaded_households.add(str(record["hh_id"]))
        return row

    for h in good:
        for record in by_hh[h]:
            emit(record)
    first_good_2015 = next(i for i, r in enumerate(by_hh[good[0]]) if r["year"] == 2015) + 2

    def one(change: dict, reason: str, detail: str = "", year: int = 2016) -> None:
        h = next(it)
        record = dict(next(r for r in by_hh[h] if r["year"] == year))
        record.update(change)
        emit(record, reason, detail)

    one({"hh_id": ""}, "missing_id", "missing 户编号")
    one({"hh_id": "5.22631E+15"}, "malformed_id", "scientific notation")
    one({"size": ""}, "missing_value", "missing 家庭人口数 (size)")
    one({"village_code": "522631999999"}, "unknown_village", "not in the store's regions")
    one({"village_code": "5226311"}, "unknown_village", "not a 12-digit village code")
    one({"village_code": "522631100000"}, "unknown_village", "not a village code")
    one({"lon": "东经106度"}, "bad_number", "'东经106度' is not a number")
    one({"size": 0}, "size_out_of_range", "0 is outside 1–20")
    one({"size": 25}, "size_out_of_range", "25 is outside 1–20")
    one({"hh_type": "普通户"}, "unknown_hh_type", "'普通户' is not one of")
    one({"primary_cause": "因病返贫"}, "unknown_cause", "did you mean 因病?")
    one({"secondary_causes": "因学;缺钱"}, "unknown_cause", "'缺钱' is not a known cause")
    one({"status": "脱贫中"}, "unknown_status", "'脱贫中' is not one of")
    one({"housing_safe": "也许"}, "bad_flag", "'也许' is not 是/否")
    one(
        {"year": 2013},
        "year_out_of_range",
        "2013 is outside the store's years 2014–2020",
        year=2014,
    )
    one({"registered_year": 2021}, "year_out_of_range", "2021 is outside")
    one({"registered_year": 2017}, "year_out_of_range", "before the registration year 2017")
    one({"head_name": "王" * 51}, "too_long", "has 51 characters (at most 50)")
    one({"lat": "1e308"}, "coordinates_out_of_range", "is not a longitude in −180…180")
    h = next(it)
    record = dict(next(r for r in by_hh[h] if r["year"] == 2016))
    record["hh_id"] = other_county_id
    emit(record, "duplicate_in_store", f"household ID {other_county_id} is already in the store")
    one({}, "swapped_lon_lat", "with longitude and latitude swapped it is inside")
    out[-1][3], out[-1][4] = out[-1][4], out[-1][3]

    # a point in another township of the county: far outside its own village
    h = next(it)
    record = dict(next(r for r in by_hh[h] if r["year"] == 2016))
    villages = regions[(regions["level"] == 5) & regions["code"].str.startswith("522631")]
    other = villages[villages["code"].str[:9] != str(record["village_code"])[:9]].iloc[0]
    record["lon"], record["lat"] = round(other.label_lon, 6), round(other.label_lat, 6)
    emit(record, "outside_village", f"it lies in village {other.code}")

    # 100 m outside its village: within the 500 m tolerance, loads unchanged
    h = next(it)
    record = dict(next(r for r in by_hh[h] if r["year"] == 2016))
    poly = villages.set_index("code").geometry[str(record["village_code"])]
    record["lon"], record["lat"] = _point_just_outside(
        poly, float(record["lon"]), float(record["lat"]), 100
    )
    emit(record)
    messy.tolerated_point = (str(record["hh_id"]), record["lon"], record["lat"])

    # duplicates in the file: the first occurrence (good[0], 2015) loads, the copy does not
    emit(
        dict(by_hh[good[0]][1]),
        "duplicate_in_file",
        f"same household and year as row {first_good_2015}",
    )

    # impossible sequences: every row of the household is rejected
    h = next(it)
    for record in by_hh[h]:
        record = dict(record)
        record["status"] = {2016: "已脱贫", 2017: "未脱贫"}.get(record["year"], record["status"])
        if record["year"] < 2016:
            record["status"] = "未脱贫"
        emit(record, "status_sequence", "impossible status sequence")
    h = next(it)
    for record in by_hh[h]:
        record = dict(record)
        if record["year"] == record["registered_year"]:
            record["status"] = "返贫"
        emit(record, "status_sequence", "impossible status sequence: status 返贫 in 2014")

    # a blank line and a line with too few fields
    out.append("")
    messy.blank += 1
    out.append("5226310000009999,张三,522631100200")
    messy.rejects[len(out) + 1] = "malformed_row"
    messy.details[len(out) + 1] = "row has 3 fields, the header has 20"

    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow([labels[c] for c in rows.columns])
    for line in out:
        if isinstance(line, str):
            text.write(line + "\n")
        else:
            writer.writerow(line)
    path.write_text(text.getvalue(), encoding="utf-8")
    return messy
