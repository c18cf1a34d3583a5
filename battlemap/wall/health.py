"""Is the store behind a wall screen reachable right now? (a cheap probe per refresh)

The embedded store serves from memory once open, so a wall screen would show old numbers
forever if its data dir went away (an unmounted disk, files moved): the probe reads the
data dir's manifest and checks that every file it lists is still there. On PostGIS the
probe is one query (the loaded data's stamp), bounded by the store's statement timeout.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from battlemap.geodata.datadir import MANIFEST_FILE
from battlemap.geodata.errors import BattlemapError, one_line
from battlemap.geodata.store import Store

__all__ = ["probe"]


def _probe_dir(data_dir: Path) -> str | None:
    try:
        manifest = json.loads((data_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    except OSError as exc:
        return f"data dir manifest unreadable ({exc.strerror})"
    except ValueError:
        return "data dir manifest unreadable (not JSON)"
    files = manifest.get("files") if isinstance(manifest, dict) else None
    for name in files or {}:
        if not os.access(data_dir / name, os.R_OK):
            return f"data file {name} missing or unreadable"
    return None


def probe(store: Store) -> str | None:
    """None when the store answers, else one line saying what does not (for the log)."""
    stamp = getattr(store, "data_stamp", None)
    if stamp is not None:
        try:
            stamp()
        except BattlemapError as exc:
            return one_line(exc)
        except Exception as exc:  # a driver error the store did not wrap
            return f"store probe failed: {type(exc).__name__}"
        return None
    data_dir = getattr(store, "data_dir", None)
    return _probe_dir(Path(data_dir)) if data_dir is not None else None
