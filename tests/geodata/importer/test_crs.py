"""GCJ-02 / BD-09 ↔ WGS84: published reference values, inverse precision, edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from battlemap.geodata.importer.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# Reference outputs of the published formulas for (116.404, 39.915), as printed in
# wandergis/coordtransform's README (the usual JavaScript implementation).
POINT = (np.array([116.404]), np.array([39.915]))


def test_forward_formulas_match_the_published_values() -> None:
    lon, lat = wgs84_to_gcj02(*POINT)
    assert lon[0] == pytest.approx(116.41024449916938, abs=1e-12)
    assert lat[0] == pytest.approx(39.91640428150164, abs=1e-12)
    lon, lat = gcj02_to_bd09(*POINT)
    assert lon[0] == pytest.approx(116.41036949371029, abs=1e-12)
    assert lat[0] == pytest.approx(39.92133699351021, abs=1e-12)


def test_inverses_refine_the_one_step_approximations() -> None:
    # the published one-step inverses are within a few cm; ours invert exactly
    lon, lat = bd09_to_gcj02(*POINT)
    assert lon[0] == pytest.approx(116.39762729119315, abs=1e-6)
    assert lat[0] == pytest.approx(39.90865673957631, abs=1e-6)
    lon, lat = gcj02_to_wgs84(*POINT)
    assert lon[0] == pytest.approx(116.39775550083061, abs=1e-5)
    assert lat[0] == pytest.approx(39.91359571849836, abs=1e-5)
    back = wgs84_to_gcj02(lon, lat)
    assert np.abs(back[0] - POINT[0]).max() < 1e-9
    assert np.abs(back[1] - POINT[1]).max() < 1e-9


@pytest.mark.parametrize(
    ("forward", "inverse"),
    [
        (wgs84_to_gcj02, gcj02_to_wgs84),
        (gcj02_to_bd09, bd09_to_gcj02),
        (wgs84_to_bd09, bd09_to_wgs84),
    ],
)
def test_round_trip_across_china_is_below_a_millimetre(forward, inverse) -> None:
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(74, 135, 20_000), rng.uniform(4, 53, 20_000)
    back = inverse(*forward(lon, lat))
    assert np.abs(back[0] - lon).max() < 1e-8
    assert np.abs(back[1] - lat).max() < 1e-8


def test_offset_is_hundreds_of_metres_in_guizhou() -> None:
    lon, lat = wgs84_to_gcj02(np.array([106.63]), np.array([26.65]))
    shift_m = np.hypot(
        (lon[0] - 106.63) * 111_320 * np.cos(np.radians(26.65)), (lat[0] - 26.65) * 110_574
    )
    assert 100 < shift_m < 1000


def test_outside_china_and_nan_pass_through() -> None:
    lon = np.array([2.35, np.nan, 106.6])
    lat = np.array([48.85, 26.5, np.nan])
    out_lon, out_lat = gcj02_to_wgs84(lon, lat)
    assert out_lon[0] == 2.35 and out_lat[0] == 48.85
    assert np.isnan(out_lon[1]) and np.isnan(out_lat[2])


def test_empty_input_and_unknown_name() -> None:
    lon, lat = to_wgs84(np.array([]), np.array([]), "gcj02")
    assert lon.shape == (0,) and lat.shape == (0,)
    with pytest.raises(ValueError, match="unknown coordinate system"):
        to_wgs84(np.array([1.0]), np.array([1.0]), "cgcs2000")
