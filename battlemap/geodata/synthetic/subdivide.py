"""Townships and villages as Voronoi cells clipped to their parent: no gaps, no overlaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from battlemap.geodata.synthetic.names import place_names
from battlemap.geodata.synthetic.points import points_in_polygons

__all__ = ["allocate", "subdivide"]


def allocate(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    """Split ``total`` into integer parts ∝ weights, each ≥ ``minimum`` (largest remainder)."""
    weights = np.asarray(weights, dtype=float)
    share = weights / weights.sum() * max(total - minimum * len(weights), 0)
    parts = np.floor(share).astype(np.int64)
    remainder = int(max(total - minimum * len(weights), 0) - parts.sum())
    parts[np.argsort(share - parts)[::-1][:remainder]] += 1
    return parts + minimum


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygon parts of an intersection result, as a MultiPolygon."""
    parts = shapely.get_parts(geom)
    polys = [p for p in parts if p.geom_type in ("Polygon", "MultiPolygon")]
    flat = shapely.get_parts(np.asarray(polys, dtype=object)) if polys else []
    return shapely.multipolygons(list(flat))


def _cells(parent: shapely.Geometry, seeds_x: np.ndarray, seeds_y: np.ndarray) -> list:
    """Voronoi cells of the seeds clipped to ``parent``, in seed order."""
    if len(seeds_x) == 1:
        return [_polygonal(parent)]
    seeds = shapely.multipoints(np.column_stack([seeds_x, seeds_y]))
    diagram = shapely.voronoi_polygons(seeds, extend_to=parent.envelope.buffer(0.1), ordered=True)
    cells = shapely.intersection(np.asarray(shapely.get_parts(diagram)), parent)
    return [_polygonal(c) for c in cells]


def subdivide(
    parents: pd.DataFrame,
    counts: np.ndarray,
    rng: np.random.Generator,
    *,
    first_codes: tuple[tuple[int, int], ...],
    suffixes: tuple[str, ...],
    seat_points: np.ndarray | None = None,
) -> pd.DataFrame:
    """Split each parent polygon into ``counts[i]`` cells with codes and names.

    ``first_codes`` gives (first code, how many) bands for the 3-digit part, e.g.
    ((100, 0.4), (200, 0.6)) → 镇 codes from 100, 乡 codes from 200; ``suffixes`` the name
    suffix per band. When ``seat_points`` (x, y per parent) is given, the first seed is the
    seat, so the first child (e.g. 城关镇 …100) contains it.
    """
    owner, xs, ys = points_in_polygons(parents.geometry.to_numpy(), counts, rng)
    if seat_points is not None:
        first = np.searchsorted(owner, np.arange(len(parents)))
        xs[first], ys[first] = seat_points[:, 0], seat_points[:, 1]
    rows = []
    for i, parent in enumerate(parents.itertuples(index=False)):
        sel = owner == i
        cells = _cells(parent.geometry, xs[sel], ys[sel])
        n = len(cells)
        band_sizes = allocate(n, np.asarray([b[1] for b in first_codes]), 0)
        names_all = []
        codes_all = []
        for (start, _), size, suffix in zip(first_codes, band_sizes, suffixes, strict=True):
            codes_all += [start + k for k in range(size)]
            names_all += place_names(rng, size, suffix)
        prefix = parent.code[: {3: 6, 4: 9}[parent.level]]
        width = 12 - len(prefix)
        for k, cell in enumerate(cells):
            code = (prefix + str(codes_all[k])).ljust(12, "0")
            assert len(code) == 12 and width >= 3
            rows.append((code, parent.level + 1, names_all[k], parent.code, cell))
    return pd.DataFrame(rows, columns=["code", "level", "name", "parent_code", "geometry"])
