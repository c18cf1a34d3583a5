"""Shared benchmark helpers: timing percentiles, the default data set, a throwaway PostGIS."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO / "benchmarks" / ".data" / "default-2.3M"

__all__ = ["DEFAULT_DATA_DIR", "emit_json", "ensure_data_dir", "percentiles", "pg_cluster", "timed"]


def ensure_data_dir(path: Path, households: int = 2_300_000, seed: int = 1) -> Path:
    """The benchmark data set, generated once (the default 2.3 M households)."""
    if not (path / "manifest.json").exists():
        from battlemap.geodata.synthetic.generate import generate

        generate(path, households=households, seed=seed)
    return path


def emit_json(result: dict, output: Path | None) -> int:
    """Print a benchmark's result as JSON (and write it to ``output`` if given); exit code 0."""
    import json

    text = json.dumps(result, indent=2, ensure_ascii=False)
    if output:
        output.write_text(text + "\n")
    print(text)
    return 0


def timed(func: Callable[[], object]) -> float:
    """Seconds one call takes."""
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def percentiles(seconds: list[float]) -> dict[str, float]:
    """p50 / p95 / min / max in milliseconds."""
    ms = np.asarray(seconds) * 1000
    return {
        "n": len(ms),
        "min_ms": round(float(ms.min()), 3),
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p95_ms": round(float(np.percentile(ms, 95)), 3),
        "max_ms": round(float(ms.max()), 3),
    }


def pg_cluster():
    """The same throwaway PostgreSQL + PostGIS cluster the tests use (tests/pg.py)."""
    sys.path.insert(0, str(REPO))
    from tests.pg import PgCluster

    return PgCluster()
