"""Synthetic cadre tables (issue 15): deterministic by seed, at the programme's density."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq

from battlemap.geodata.synthetic.generate import generate


def test_deterministic_and_dense_like_the_programme(small_data_dir, tmp_path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for path in (a, b):
        generate(path, households=2000, seed=11, quiet=True)
    for table in ("cadres", "assignments", "visits"):
        assert pq.read_table(a / f"{table}.parquet").equals(pq.read_table(b / f"{table}.parquet"))
    d = small_data_dir
    cadres = pd.read_parquet(d / "cadres.parquet")
    regions = pd.read_parquet(d / "regions.parquet", columns=["code", "level", "poverty_flag"])
    poor_villages = set(regions.code[(regions.level == 5) & regions.poverty_flag])
    secretaries = cadres[cadres.role == "第一书记"]
    assert set(secretaries.village_code) == poor_villages
    assert (secretaries.groupby("village_code").size() == 2).all()  # rotated mid-2017
    a = pd.read_parquet(d / "assignments.parquet")
    open_ = a[a.end_date.isna()].groupby("cadre_id").size()
    assert open_.max() <= 10 and open_.median() >= 3  # 5–10 per helper, fewer where few
    households = pd.read_parquet(d / "households.parquet", columns=["hh_id"])
    assert set(a.hh_id) == set(households.hh_id)  # every registered household has a helper
    months = pd.to_datetime(pd.read_parquet(d / "visits.parquet", columns=["date"]).date).dt.month
    counts = months.value_counts()
    assert counts[1] > 1.8 * counts[6]  # seasonal: Spring Festival visits vs the farming season
