"""Layer tests: every builder's output must be a valid plotly figure (validated here)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import pytest


def assert_valid(figure: dict[str, Any]) -> go.Figure:
    """Validate a figure dict with plotly (raises on any unknown or invalid property)."""
    return go.Figure(figure)


def assert_valid_trace(trace: dict[str, Any]) -> go.Figure:
    return go.Figure({"data": [trace]})


@pytest.fixture
def frame_households():
    import pandas as pd

    return pd.DataFrame(
        {
            "hh_id": ["h1", "h2", "h3", "h4"],
            "village_code": ["520102100200"] * 3 + ["520102100201"],
            "lon": [106.1, 106.2, 106.3, 106.4],
            "lat": [26.1, 26.2, 26.3, 26.4],
            "size": [3, 1, 4, 2],
            "hh_type": ["一般户", "低保户", "一般户", "特困供养户"],
            "primary_cause": ["因病", "因学", "因病", "缺水"],
            "status": ["未脱贫", "已脱贫", "返贫", "未脱贫"],
            "head_name": ["张*", "李*", "王**", "赵*"],
        }
    )
