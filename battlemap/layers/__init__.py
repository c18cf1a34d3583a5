"""Figure builders: one module per map layer or chart; data in, plotly figure dict out.

Builders never touch a store or Dash: callbacks fetch the data (through the access layer)
and pass it in, so exports and the wall display reuse the very same figures.
"""

from battlemap.layers.catalog import DEFAULT_INDICATOR, INDICATORS, Indicator
from battlemap.layers.causes import cause_bars
from battlemap.layers.choropleth import choropleth_coloraxis, choropleth_traces
from battlemap.layers.exitchecks import exit_check_rows
from battlemap.layers.flows import flow_traces
from battlemap.layers.heat import heat_trace
from battlemap.layers.hexbins import hexbin_coloraxis, hexbin_trace
from battlemap.layers.households import household_rows, household_traces
from battlemap.layers.kpi import kpi_tiles
from battlemap.layers.labels import label_traces
from battlemap.layers.mapfigure import map_figure
from battlemap.layers.radar import radar_figure
from battlemap.layers.ranking import ranking_rows
from battlemap.layers.trend import trend_figure

__all__ = [
    "DEFAULT_INDICATOR",
    "INDICATORS",
    "Indicator",
    "cause_bars",
    "choropleth_coloraxis",
    "choropleth_traces",
    "exit_check_rows",
    "flow_traces",
    "heat_trace",
    "hexbin_coloraxis",
    "hexbin_trace",
    "household_rows",
    "household_traces",
    "kpi_tiles",
    "label_traces",
    "map_figure",
    "radar_figure",
    "ranking_rows",
    "trend_figure",
]
