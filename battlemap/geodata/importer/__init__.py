"""Real data in: household extracts and boundary files into the data dir (and PostGIS).

``import_households`` reads CSV (UTF-8/GBK/GB18030), XLSX, GeoJSON, GeoPackage or Shapefile
rows through one declared header mapping (:mod:`.headers`), converts GCJ-02/BD-09 points to
WGS84 (:mod:`.crs`), validates every row (:mod:`.validate`, :mod:`.checks`; reasons in
:mod:`.reasons`), writes bad rows to a rejects file and upserts the good ones atomically
(:mod:`.atomic`, :mod:`.embedded_write`, :mod:`.postgis_write`). ``import_boundaries``
does the same for one level of region polygons.
"""

from __future__ import annotations

from battlemap.geodata.importer.boundaries import BoundaryReport, import_boundaries
from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.households import ImportOptions, ImportReport, import_households
from battlemap.geodata.importer.store_init import empty_store

__all__ = [
    "BoundaryReport",
    "ImportFileError",
    "ImportOptions",
    "ImportReport",
    "empty_store",
    "import_boundaries",
    "import_households",
]
