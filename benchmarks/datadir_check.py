"""What the data-file check costs when a store opens (sizes, then sha256 of every file).

Usage: python -m benchmarks.datadir_check [--data-dir DIR] [--repeat 3]

The data dir defaults to the 2.3 M-household set (benchmarks/.data/default-2.3M, generated on
first use). Runs the check with the files in the page cache (the usual case: a restart or a
reload after an import) and reports the median of ``--repeat`` runs, the file count and
bytes hashed, and the whole embedded store open for scale. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from benchmarks.common import DEFAULT_DATA_DIR, ensure_data_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from battlemap.geodata.datadir import check_files, read_manifest
    from battlemap.geodata.embedded import EmbeddedStore

    data_dir = ensure_data_dir(args.data_dir)
    manifest = read_manifest(data_dir)
    files = manifest["files"]

    def seconds(digests: bool) -> float:
        runs = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            assert check_files(data_dir, manifest, digests=digests).problems == []
            runs.append(time.perf_counter() - start)
        return round(statistics.median(runs), 3)

    start = time.perf_counter()
    EmbeddedStore(data_dir)
    open_s = time.perf_counter() - start
    print(
        json.dumps(
            {
                "data_dir": str(data_dir),
                "households": manifest["counts"]["households"],
                "files": len(files),
                "bytes": sum(e["size"] for e in files.values()),
                "sizes_only_s": seconds(False),
                "sizes_and_sha256_s": seconds(True),
                "store_open_s": round(open_s, 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
