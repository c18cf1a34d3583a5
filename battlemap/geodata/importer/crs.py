"""Chinese map datums to WGS84: GCJ-02 (国测局/火星坐标) and BD-09 (百度坐标), vectorized.

The forward formulas are the published ones (as in eviltransform / coordtransform):
WGS84 → GCJ-02 adds a smooth offset (a few hundred metres) inside China; GCJ-02 → BD-09 is a
small rotation and shift. Neither has a closed-form inverse, so GCJ-02 → WGS84 and BD-09 →
GCJ-02 are solved by fixed-point iteration to better than 1e-9 degrees (≈ 0.1 mm). Points
outside China's bounding box are not offset, exactly like the forward formulas.

>>> lon, lat = wgs84_to_gcj02(np.array([116.404]), np.array([39.915]))
>>> round(float(lon[0]), 8), round(float(lat[0]), 8)
(116.4102445, 39.91640428)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "CRS_NAMES",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

CRS_NAMES: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0
_TOLERANCE = 1e-10  # degrees
_MAX_ITERATIONS = 30


def out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where a point is outside the box in which the GCJ-02 offset applies."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    return ~((lon > 73.66) & (lon < 135.05) & (lat > 3.86) & (lat < 53.55))


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS84 in degrees at WGS84 (lon, lat); zero outside China."""
    x, y = lon - 105.0, lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(radlat) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _arrays(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 → GCJ-02 (the published forward formula)."""
    lon, lat = _arrays(lon, lat)
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def _invert(
    forward: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    lon: np.ndarray,
    lat: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve forward(x, y) = (lon, lat) by fixed-point steps from the estimate (x, y)."""
    for _ in range(_MAX_ITERATIONS):
        f_lon, f_lat = forward(x, y)
        e_lon, e_lat = f_lon - lon, f_lat - lat
        x, y = x - e_lon, y - e_lat
        err = np.nanmax(np.abs(np.concatenate([e_lon.ravel(), e_lat.ravel(), [0.0]])))
        if err < _TOLERANCE:
            break
    return x, y


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS84 by iterating w ← w − (gcj(w) − target) from the one-step estimate."""
    lon, lat = _arrays(lon, lat)
    return _invert(wgs84_to_gcj02, lon, lat, lon.copy(), lat.copy())


def gcj02_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → BD-09 (the published forward formula)."""
    lon, lat = _arrays(lon, lat)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → GCJ-02: the published approximate inverse, refined by iteration."""
    lon, lat = _arrays(lon, lat)
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return _invert(gcj02_to_bd09, lon, lat, z * np.cos(theta), z * np.sin(theta))


def wgs84_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 → BD-09 (via GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → WGS84 (via GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: np.ndarray, lat: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert from ``crs`` (wgs84, gcj02 or bd09) to WGS84; NaN stays NaN."""
    if crs == "wgs84":
        return _arrays(lon, lat)
    if crs == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if crs == "bd09":
        return bd09_to_wgs84(lon, lat)
    raise ValueError(f"unknown coordinate system {crs!r}: use one of {', '.join(CRS_NAMES)}")
