"""Relocation (易地扶贫搬迁) sites and labour outflows (务工转移) to real destination cities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from battlemap.geodata.schema import YEARS

__all__ = ["DESTINATIONS", "labour_flows", "relocation_targets", "resettlement_sites"]

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
    """Resettlement sites: up to two county-town sites per county (seat-township villages
    nearest the seat) and one central-town site in every other 镇 (its first village).

    Returns county, town (township code), kind (county_town / town), site_code, lon, lat.
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
            code = pool.code.iloc[idx]
            rows.append((county, code[:9].ljust(12, "0"), "county_town", code, site.x, site.y))
        towns = group[(group.code.str[6:9] != "100") & (group.code.str[6] == "1")]
        for _, first in towns.groupby(towns.code.str[:9]).head(1).iterrows():
            site = shapely.point_on_surface(first.geometry)
            town = first.code[:9].ljust(12, "0")
            rows.append((county, town, "town", first.code, site.x, site.y))
    return pd.DataFrame(rows, columns=["county", "town", "kind", "site_code", "lon", "lat"])


def relocation_targets(
    from_village: np.ndarray,
    sites: pd.DataFrame,
    shares: dict[str, float],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """A site for every relocated household: a city site (the first county-town site of the
    prefecture's first county, 市州府所在地), a county-town site of its own county or a
    central-town site in another township of its county, drawn with ``shares``.

    Returns site_code, lon, lat (one row per entry of ``from_village``).
    """
    n = len(from_village)
    county = pd.Series(from_village).str[:6].str.ljust(12, "0").to_numpy()
    town = pd.Series(from_village).str[:9].str.ljust(12, "0").to_numpy()
    kinds = list(shares)
    kind = np.asarray(kinds)[rng.choice(len(kinds), n, p=[shares[k] for k in kinds])]
    seat_sites = sites[sites.kind == "county_town"]
    first_seat = seat_sites.drop_duplicates("county").set_index("county")
    second_seat = seat_sites.drop_duplicates("county", keep="last").set_index("county")
    cols = ["site_code", "lon", "lat"]
    use_second = rng.random(n) < 0.4
    out = np.where(
        use_second[:, None],
        second_seat.loc[county, cols].to_numpy(),
        first_seat.loc[county, cols].to_numpy(),
    )
    # city sites: the prefecture's first county (its seat district)
    prefecture_seat = (
        first_seat.assign(prefecture=first_seat.index.str[:4]).drop_duplicates("prefecture")
    ).set_index("prefecture")
    city = kind == "city"
    out[city] = prefecture_seat.loc[pd.Series(county[city]).str[:4], cols].to_numpy()
    # central towns: a random other 镇 of the county with a site (else the county town)
    town_sites = sites[sites.kind == "town"].sort_values("town", ignore_index=True)
    site_town = town_sites.town.to_numpy(str)
    site_county = pd.Series(site_town).str[:6].str.ljust(12, "0").to_numpy(str)
    pick = np.nonzero(kind == "town")[0] if len(town_sites) else np.zeros(0, np.int64)
    first = np.searchsorted(site_county, county[pick], side="left")
    count = np.searchsorted(site_county, county[pick], side="right") - first
    own = np.searchsorted(site_town, town[pick])
    own_site = (own < len(site_town)) & (
        site_town[np.minimum(own, len(site_town) - 1)] == town[pick]
    )
    options = count - own_site
    choice = first + np.floor(rng.random(len(pick)) * np.maximum(options, 1)).astype(np.int64)
    choice += own_site & (choice >= own)  # skip the household's own township
    ok = options > 0
    out[pick[ok]] = town_sites.loc[choice[ok], cols].to_numpy()
    return pd.DataFrame(out, columns=cols)


def labour_flows(
    county_persons: pd.Series, capital: tuple[str, float, float], rng: np.random.Generator
) -> pd.DataFrame:
    """Persons per (origin county, year, destination), growing with the labour programme.

    ``county_persons`` = registered persons per county code; ``capital`` adds the
    provincial capital as an in-province destination. Growth is uneven: a province-wide
    factor per year (a dip in 2020), each county's own yearly swings and a destination mix
    that drifts from year to year.
    """
    province_factor = np.exp(np.cumsum(rng.normal(0.07, 0.05, len(YEARS))))
    province_factor[-1] = province_factor[-2] * rng.uniform(0.85, 0.95)  # 2020: the epidemic
    names, lons, lats, base = zip(
        *DESTINATIONS, (capital[0], capital[1], capital[2], 0.10), strict=True
    )
    base = np.asarray(base) / np.sum(base)
    rows = []
    for county, persons in county_persons.items():
        mix = rng.dirichlet(base * 60)
        swing = np.exp(np.cumsum(rng.normal(0, 0.06, len(YEARS))))
        for k, year in enumerate(YEARS):
            share = 0.17 * province_factor[k] * swing[k]
            year_mix = rng.dirichlet(mix * 400)
            counts = np.round(persons * share * year_mix).astype(np.int64)
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
