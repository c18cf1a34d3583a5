"""Uniform random points inside polygons, vectorized over many polygons at once."""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["points_in_polygons"]


def points_in_polygons(
    polygons: np.ndarray, counts: np.ndarray, rng: np.random.Generator, *, decimals: int = 6
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``counts[i]`` points strictly inside ``polygons[i]`` for every i.

    Rejection sampling in each bounding box, all polygons per round. Coordinates are rounded
    to ``decimals`` before the containment test, so stored points stay inside. Returns
    (polygon index, x, y), grouped by polygon index in ascending order.
    """
    polygons = np.asarray(polygons, dtype=object)
    counts = np.asarray(counts, dtype=np.int64)
    shapely.prepare(polygons)
    bounds = shapely.bounds(polygons)
    fill = np.maximum(
        shapely.area(polygons)
        / np.maximum((bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1]), 1e-18),
        0.05,
    )
    need = counts.copy()
    owner_parts, x_parts, y_parts = [], [], []
    while need.sum() > 0:
        draw = np.ceil(need / fill * 1.2 + 2).astype(np.int64) * (need > 0)
        owner = np.repeat(np.arange(len(polygons)), draw)
        x = np.round(rng.uniform(bounds[owner, 0], bounds[owner, 2]), decimals)
        y = np.round(rng.uniform(bounds[owner, 1], bounds[owner, 3]), decimals)
        inside = shapely.contains_xy(polygons[owner], x, y)
        owner, x, y = owner[inside], x[inside], y[inside]
        # keep at most need[i] hits per polygon: rank within each owner group
        start = np.searchsorted(owner, np.arange(len(polygons)))
        rank = np.arange(len(owner)) - start[owner]
        keep = rank < need[owner]
        owner_parts.append(owner[keep])
        x_parts.append(x[keep])
        y_parts.append(y[keep])
        need -= np.bincount(owner[keep], minlength=len(polygons))
    owner = np.concatenate(owner_parts)
    order = np.argsort(owner, kind="stable")
    return owner[order], np.concatenate(x_parts)[order], np.concatenate(y_parts)[order]
