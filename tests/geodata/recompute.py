"""A plain pandas recomputation of region counts straight from the parquet files.

Independent of geodata.aggregate and geodata.metrics on purpose: it is the reference the
stores are checked against.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from battlemap.geodata.schema import CAUSES, HH_TYPES


class PandasReference:
    """Counts for any region code and year, by merge + group-by on code prefixes."""

    def __init__(self, data_dir: Path) -> None:
        households = pd.read_parquet(
            data_dir / "households.parquet",
            columns=["hh_id", "village_code", "size", "hh_type", "primary_cause"],
        )
        years = pd.read_parquet(
            data_dir / "household_years.parquet", columns=["hh_id", "year", "status"]
        )
        self.rows = years.merge(households, on="hh_id", how="left")
        self.rows["status"] = self.rows["status"].astype(str)
        self.population = pd.read_parquet(data_dir / "rural_population.parquet")

    def counts(self, code: str, year: int) -> dict[str, int]:
        length = len(code.rstrip("0")) if code.endswith("0") else 12
        length = min(n for n in (2, 4, 6, 9, 12) if n >= length)
        prefix = code[:length]
        rows = self.rows[(self.rows.year == year) & self.rows.village_code.str.startswith(prefix)]
        pop = self.population[
            (self.population.year == year) & self.population.code.str.startswith(prefix)
        ]
        poor = rows[rows.status.isin(["未脱贫", "返贫"])]
        exited = rows[rows.status == "已脱贫"]
        returned = rows[rows.status == "返贫"]
        out = {
            "rural_population": int(pop.persons.sum()),
            "registered_households": len(rows),
            "registered_persons": int(rows["size"].sum()),
            "poor_households": len(poor),
            "poor_persons": int(poor["size"].sum()),
            "exited_households": len(exited),
            "exited_persons": int(exited["size"].sum()),
            "returned_households": len(returned),
            "returned_persons": int(returned["size"].sum()),
        }
        by_cause = poor.groupby("primary_cause")["size"].sum()
        for i, name in enumerate(CAUSES):
            out[f"cause_persons_{i + 1:02d}"] = int(by_cause.get(name, 0))
        # per household type: poor households and persons, registered and exited persons
        for i, name in enumerate(HH_TYPES):
            n = i + 1
            of_type = [frame[frame.hh_type == name] for frame in (poor, rows, exited)]
            out[f"hh_type_poor_households_{n}"] = len(of_type[0])
            out[f"hh_type_poor_persons_{n}"] = int(of_type[0]["size"].sum())
            out[f"hh_type_registered_persons_{n}"] = int(of_type[1]["size"].sum())
            out[f"hh_type_exited_persons_{n}"] = int(of_type[2]["size"].sum())
        return out
