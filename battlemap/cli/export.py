"""``battlemap export``: one view (or each child region's) to a stamped file.

    battlemap export --region 520100 --year 2018 --format png --out map.png
    battlemap export --region 52 --year 2018 --format png --children --out maps/

Bad input (unknown region, year, format, indicator or layer; an unwritable path; no
Chromium for a picture) is one line and exit code 2, with no file left behind: every file
is written to a temporary name and renamed. With ``--children`` one child's failure is
reported and the others go on (exit code 1 if any failed).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from pathlib import Path

from battlemap.cli.options import add_store_options, store_from_args
from battlemap.exports import (
    FORMAT_INFO,
    ExportPathError,
    ExportRequest,
    check_writable,
    load_formats,
    render,
    write_atomic,
)
from battlemap.exports.browser import TABS, _find_browser, stop_browser
from battlemap.exports.images import MEDIA_TYPES, plan_picture
from battlemap.exports.pictures import SIZES
from battlemap.geodata.access import ScopedStore
from battlemap.geodata.errors import BattlemapError
from battlemap.geodata.regions import RegionInfo
from battlemap.i18n import LANGUAGES
from battlemap.layers.catalog import DEFAULT_INDICATOR, INDICATORS, available_indicators
from battlemap.views import PANELS
from battlemap.viewstate import DEFAULT_LAYERS, LAYER_KEYS, ViewState

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export", help="export a view as png/svg/pdf/html/csv/xlsx/gpkg/geojson"
    )
    parser.add_argument("--region", required=True, help="2/4/6/9/12-digit region code")
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--indicator", default=DEFAULT_INDICATOR)
    parser.add_argument(
        "--layers",
        nargs="+",
        default=None,
        help=f"map layers, space or comma separated (default: {','.join(DEFAULT_LAYERS)})",
    )
    parser.add_argument(
        "--format",
        required=True,
        help="png, svg, pdf, html-folium, html-deck, csv, xlsx, gpkg or geojson",
    )
    parser.add_argument(
        "--panel",
        default=None,
        help=f"pictures: {', '.join(PANELS)} (default map); csv: indicators (default), "
        "exit_checks, households",
    )
    parser.add_argument("--size", default="1x", help=f"pictures: {', '.join(SIZES)}")
    parser.add_argument(
        "--out",
        required=True,
        help="output file (or a directory: the file is named by the rule); with "
        "--children a directory",
    )
    parser.add_argument(
        "--children", action="store_true", help="one file per child region of --region"
    )
    parser.add_argument("--language", choices=LANGUAGES, default="zh")
    add_store_options(parser)
    parser.set_defaults(func=run)


def _layers(values: list[str] | None) -> tuple[str, ...]:
    if not values:
        return DEFAULT_LAYERS
    layers = tuple(x for v in values for x in v.split(",") if x)
    unknown = [x for x in layers if x not in LAYER_KEYS]
    if unknown:
        raise BattlemapError(f"unknown layer {unknown[0]!r} (one of {', '.join(LAYER_KEYS)})")
    return layers


def _check_format(fmt: str) -> None:
    formats = load_formats()
    if fmt not in formats:
        raise BattlemapError(f"unknown export format {fmt!r} (one of {', '.join(formats)})")
    if FORMAT_INFO[fmt].browser:
        _find_browser()  # no Chromium: say so before any work


def _target(out: Path, name: str) -> Path:
    """``out`` itself, or ``out/name`` when ``out`` is a directory."""
    return out / name if out.is_dir() else out


class _Progress:
    """``[#####-----] 12/88 贵阳市`` on stderr (redrawn in place on a terminal)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.tty = sys.stderr.isatty()

    def show(self, done: int, label: str) -> None:
        width = 30
        filled = round(width * done / max(self.total, 1))
        bar = "#" * filled + "-" * (width - filled)
        line = f"[{bar}] {done}/{self.total} {label}"
        print(("\r" + line.ljust(80)) if self.tty else line, end="" if self.tty else "\n",
              file=sys.stderr, flush=True)  # fmt: skip

    def close(self) -> None:
        if self.tty:
            print(file=sys.stderr)


def _request(state: ViewState, access: ScopedStore, args: argparse.Namespace,
             generated_at: datetime) -> ExportRequest:  # fmt: skip
    return ExportRequest(
        access,
        state,
        panel=args.panel or ("map" if FORMAT_INFO[args.format].browser else "indicators"),
        options={"size": args.size},
        generated_at=generated_at,
    )


def _one(access: ScopedStore, state: ViewState, args: argparse.Namespace, out: Path,
         generated_at: datetime) -> Path:  # fmt: skip
    result = render(args.format, _request(state, access, args, generated_at))
    return write_atomic(_target(out, result.filename), result.data)


def run(args: argparse.Namespace) -> int:
    layers = _layers(args.layers)
    _check_format(args.format)
    out = Path(args.out)
    if args.children:
        if out.exists() and not out.is_dir():
            raise ExportPathError(f"{out}: --children writes one file per child: give a directory")
        if not out.exists():
            check_writable(out)  # its parent must be writable
            out.mkdir()
    elif not out.is_dir():
        check_writable(out)
    store = store_from_args(args)
    try:
        access = ScopedStore(store)
        info = access.region(args.region)
        year = store.check_year(args.year)
        names = getattr(store, "metric_names", None)
        known = available_indicators(names) if names else list(INDICATORS)
        if args.indicator not in known:
            raise BattlemapError(
                f"unknown indicator {args.indicator!r} (one of {', '.join(known)})"
            )
        base = ViewState(
            region=info.code, year=year, indicator=args.indicator, layers=layers,
            lang=args.language,
        ).but(layers=layers)  # fmt: skip
        now = datetime.now(UTC)
        if not args.children:
            path = _one(access, base, args, out, now)
            print(path)
            return 0
        return _children(access, base, info, args, out, now)
    finally:
        stop_browser()
        store.close()


Job = tuple[RegionInfo, Callable[[], Path]]


def _jobs(access: ScopedStore, base: ViewState, children: list[RegionInfo],
          args: argparse.Namespace, out: Path, now: datetime) -> Iterator[Job]:  # fmt: skip
    """(child, job) pairs. A picture's figure is built here, in the caller's thread (the
    store is read by one thread); the job only draws it, so ``TABS`` jobs may draw at once."""
    for child in children:
        state = base.but(region=child.code)
        if args.format in MEDIA_TYPES:
            try:
                plan = plan_picture(_request(state, access, args, now), args.format)
            except Exception as exc:  # reported as this child's failure
                error = exc

                def failed(error: Exception = error) -> Path:
                    raise error

                yield child, failed
                continue
            yield child, lambda plan=plan: write_atomic(_target(out, plan.filename),
                                                        plan.draw().data)  # fmt: skip
        else:
            yield child, lambda state=state: _one(access, state, args, out, now)


def _children(access: ScopedStore, base: ViewState, info: RegionInfo,
              args: argparse.Namespace, out: Path, now: datetime) -> int:  # fmt: skip
    children = access.children(info.code)
    if not children:
        raise BattlemapError(f"{info.name} ({info.code}) has no child regions")
    progress = _Progress(len(children))
    failed: list[str] = []
    started = time.monotonic()
    workers = TABS if args.format in MEDIA_TYPES else 1
    done = 0
    progress.show(0, "")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: dict[Future, RegionInfo] = {}

        def settle() -> None:
            nonlocal done
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                child = pending.pop(future)
                done += 1
                if future.exception() is not None:  # one child's failure: the rest go on
                    failed.append(child.code)
                    progress.close()
                    print(f"battlemap: {child.code} {child.name}: error: {future.exception()}",
                          file=sys.stderr)  # fmt: skip
                progress.show(done, child.name)

        for child, job in _jobs(access, base, children, args, out, now):
            if len(pending) >= workers:
                settle()
            pending[pool.submit(job)] = child
        while pending:
            settle()
    progress.close()
    seconds = time.monotonic() - started
    written = len(children) - len(failed)
    failed.sort(key=[c.code for c in children].index)
    print(
        f"{written} of {len(children)} files written to {out} in {seconds:.1f} s"
        + (f"; failed: {', '.join(failed)}" if failed else ""),
        file=sys.stderr,
    )
    return 1 if failed else 0
