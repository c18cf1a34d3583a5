"""Relocation (易地扶贫搬迁) sites and labour outflows (务工转移) to real destination cities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from battlemap.geodata.schema import YEARS

__all__ = ["DESTINATIONS", "labour_flows", "resettlement_sites"]

# Real destination cities of migrant labour from the southwest: name, lon, lat, base weight.
DESTINATIONS: tuple[tuple[str, float, float, float], ...] = (
    ("广州市", 113.264, 23.129, 0.16),
    ("深圳市", 114.058, 22.543, 0.14),
    ("东莞市", 113.752, 23.021, 0.12),
    ("佛山市", 113.122, 23.029, 0.08),
    ("宁波市", 121.550, 29.875, 0.08),
    ("杭州市", 120.155, 30.274, 0.07),
    ("温州市", 120.699, 27.994, 0.05),
    ("上海市", 121.474, 31.230, 0.06),
    ("苏州市", 120.585, 31.299, 0.06),
    ("厦门市", 118.089, 24.480, 0.05),
    ("福州市", 119.296, 26.074, 0.04),
    ("北京市", 116.407, 39.904, 0.03),
)


def resettlement_sites(villages: pd.DataFrame, counties: pd.DataFrame) -> pd.DataFrame:
    """Up to two resettlement sites per county: seat-township villages nearest the seat.

    Returns county, site_code, lon, lat (a point inside the site village).
    """
    rows = []
    seat = counties.set_index("code")
    for county, group in villages.groupby(villages.code.str[:6].str.ljust(12, "0")):
        seat_town = group[group.code.str[6:9] == "100"]
        pool = seat_town if len(seat_town) else group
        point = shapely.points(seat.at[county, "seat_x"], seat.at[county, "seat_y"])
        dist = shapely.distance(pool.geometry.to_numpy(), point)
        for idx in np.argsort(dist)[:2]:
            site = shapely.point_on_surface(pool.geometry.iloc[idx])
            rows.append((county, pool.code.iloc[idx], site.x, site.y))
    return pd.DataFrame(rows, columns=["county", "site_code", "lon", "lat"])


def labour_flows(
    county_persons: pd.Series, capital: tuple[str, float, float], rng: np.random.Generator
) -> pd.DataFrame:
    """Persons per (origin county, year, destination), growing with the labour programme.

    ``county_persons`` = registered persons per county code; ``capital`` adds the
    provincial capital as an in-province destination.
    """
    names, lons, lats, base = zip(
        *DESTINATIONS, (capital[0], capital[1], capital[2], 0.10), strict=True
    )
    base = np.asarray(base) / np.sum(base)
    rows = []
    for county, persons in county_persons.items():
        mix = rng.dirichlet(base * 60)
        for year in YEARS:
            share = 0.18 + 0.02 * (year - YEARS[0])
            counts = np.round(persons * share * mix).astype(np.int64)
            for j in np.nonzero(counts)[0]:
                rows.append((county, year, names[j], lons[j], lats[j], int(counts[j])))
    return pd.DataFrame(
        rows,
        columns=[
            "origin_county_code",
            "year",
            "destination_name",
            "dest_lon",
            "dest_lat",
            "persons",
        ],
    )
