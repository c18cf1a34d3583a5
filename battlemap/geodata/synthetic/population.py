"""County and village profiles: rural population and 2014 incidence, spatially correlated.

Remote counties (far from the provincial capital) are poorer; within a county, villages far
from the county seat are poorer. Province-wide 2014 incidence matches the configuration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

__all__ = ["county_profiles", "village_profiles"]

_INCIDENCE_RANGE = (0.02, 0.40)


def _normalized(values: np.ndarray) -> np.ndarray:
    span = values.max() - values.min()
    return (values - values.min()) / span if span > 0 else np.zeros_like(values)


def county_profiles(
    counties: pd.DataFrame, capital_xy: np.ndarray, target: float, rng: np.random.Generator
) -> pd.DataFrame:
    """Per county: relative population weight, 2014 incidence (2–40 %) and exit pace.

    ``pace`` is zero-mean over poor persons; positive means slower exits.
    """
    area = shapely.area(counties.geometry.to_numpy())
    urban = counties["name"].str.endswith("区").to_numpy()
    distance = np.hypot(counties.label_lon - capital_xy[0], counties.label_lat - capital_xy[1])
    remote = np.clip(0.65 * _normalized(distance.to_numpy()) + 0.35 * rng.random(len(area)), 0, 1)
    pop = area**0.6 * rng.lognormal(0, 0.25, len(area)) * np.where(urban, 0.6, 1.0)
    incidence = (0.03 + 0.36 * remote**1.3) * np.where(urban, 0.4, 1.0)
    for _ in range(50):  # scale to the province target while staying within range
        incidence = np.clip(incidence * target / (pop @ incidence / pop.sum()), *_INCIDENCE_RANGE)
    poor = pop * incidence
    pace = remote - (poor @ remote) / poor.sum()
    return pd.DataFrame(
        {
            "code": counties.code.to_numpy(),
            "pop_weight": pop,
            "incidence": incidence,
            "pace": pace / max(np.abs(pace).max(), 1e-9),
            "remote": remote,
        }
    )


def village_profiles(
    villages: pd.DataFrame, counties: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Per village: population weight and expected 2014 incidence within its county's profile.

    ``villages`` has code, geometry; ``counties`` the output of :func:`county_profiles` plus
    seat_x/seat_y.
    """
    county_code = villages.code.str[:6].str.ljust(12, "0").to_numpy()
    county = counties.set_index("code").loc[county_code]
    centroid = shapely.centroid(villages.geometry.to_numpy())
    dist = np.hypot(
        shapely.get_x(centroid) - county.seat_x.to_numpy(),
        shapely.get_y(centroid) - county.seat_y.to_numpy(),
    )
    frame = pd.DataFrame({"county": county_code, "dist": dist})
    frame["dist_rel"] = dist / frame.groupby("county").dist.transform("max").clip(lower=1e-9)
    area = shapely.area(villages.geometry.to_numpy())
    weight = area**0.5 * rng.lognormal(0, 0.4, len(area))
    frame["pop_weight"] = (
        weight
        / pd.Series(weight).groupby(county_code).transform("sum").to_numpy()
        * county.pop_weight.to_numpy()
    )
    raw = np.exp(1.2 * (frame.dist_rel - 0.5)) * rng.lognormal(0, 0.3, len(area))
    # rescale within each county so its population-weighted mean is the county incidence
    mean = (raw * frame.pop_weight).groupby(county_code).transform("sum") / frame.groupby(
        "county"
    ).pop_weight.transform("sum")
    frame["incidence"] = np.clip(raw / mean * county.incidence.to_numpy(), 0.002, 0.8)
    frame["pace"] = county.pace.to_numpy()
    frame["code"] = villages.code.to_numpy()
    return frame
