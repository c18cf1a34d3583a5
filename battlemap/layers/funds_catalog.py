"""Choropleth indicators of projects and funds (issue 14): payment rate, idle funds, anomalies.

Their ``value`` reads a region's funds values (:data:`FUNDS_METRICS`, money in fen), which
the views fetch from the store's funds source (``source="funds"``).
"""

from __future__ import annotations

from battlemap.indicators.funds import payment_rate_pct
from battlemap.layers.catalog import Indicator

__all__ = ["FUNDS_DATA", "FUNDS_INDICATORS"]

# Listed with the metric names when the store holds the funds tables (callbacks.context).
FUNDS_DATA = "funds_tables"

FUNDS_INDICATORS: dict[str, Indicator] = {
    i.key: i
    for i in (
        Indicator(
            "payment_rate",
            ("支出进度", "Payment rate"),
            ("%", "%"),
            "Greens",
            1,
            lambda v: payment_rate_pct(int(v["paid_fen"]), int(v["allocated_fen"])),
            (FUNDS_DATA,),
            source="funds",
        ),
        Indicator(
            "idle_funds",
            ("滞留资金", "Idle funds"),
            ("万元", "10k yuan"),
            "Oranges",
            1,
            lambda v: (
                round((int(v["allocated_fen"]) - int(v["paid_fen"])) / 1e6, 2)
                if v["allocated_fen"]
                else None
            ),
            (FUNDS_DATA,),
            source="funds",
        ),
        Indicator(
            "fund_anomalies",
            ("资金异常", "Fund anomalies"),
            ("条", "hits"),
            "Reds",
            0,
            lambda v: int(v["anomalies"]) if v["projects"] else None,
            (FUNDS_DATA,),
            source="funds",
        ),
    )
}
