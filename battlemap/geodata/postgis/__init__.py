"""PostGIS engine: schema DDL, COPY loader, per-prefix aggregates and the :class:`Store`.

``load_data_dir(dsn, data_dir)`` loads a data dir in one transaction;
``PostgisStore(dsn)`` answers the store interface from the ``region_year_stats`` table.
"""

from __future__ import annotations

from battlemap.geodata.postgis.connection import connect, describe_dsn
from battlemap.geodata.postgis.load import LoadReport, load_data_dir
from battlemap.geodata.postgis.store import PostgisStore

__all__ = ["LoadReport", "PostgisStore", "connect", "describe_dsn", "load_data_dir"]
