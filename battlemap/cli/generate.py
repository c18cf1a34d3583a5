"""``battlemap generate``: write the synthetic demo province."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from battlemap.geodata.errors import DataDirError
from battlemap.geodata.synthetic.config import GeneratorConfig

__all__ = ["register"]


def _province(value: str) -> str:
    """A 2-digit province code (argparse type: anything else is refused before running)."""
    if not re.fullmatch(r"[1-9]\d", value):
        raise argparse.ArgumentTypeError(f"not a 2-digit province code: {value!r}")
    return value


def _provinces(value: str) -> list[str]:
    """Two or more comma-separated 2-digit province codes."""
    codes = [_province(v.strip()) for v in value.split(",") if v.strip()]
    if len(set(codes)) < 2:
        raise argparse.ArgumentTypeError(f"name two provinces or more: {value!r}")
    return codes


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("generate", help="generate synthetic demo data")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--households", type=int, default=GeneratorConfig.households)
    parser.add_argument("--seed", type=int, default=GeneratorConfig.seed)
    parser.add_argument(
        "--province",
        type=_province,
        default=GeneratorConfig.province,
        help="2-digit province code, e.g. 52 贵州, 45 广西, 53 云南, 62 甘肃",
    )
    parser.add_argument(
        "--provinces",
        type=_provinces,
        default=None,
        metavar="52,45,53",
        help="a national data set: these provinces under the root 000000000000 (全国), "
        "the households split evenly",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="overwrite a data dir that is not empty (its data is replaced)",
    )
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument(
        "--report",
        action="store_true",
        help="print the generator's targets beside what was generated (also in manifest.json)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from battlemap.geodata.synthetic.generate import generate

    config = GeneratorConfig(households=args.households, seed=args.seed, province=args.province)
    path = Path(args.data_dir)
    if path.exists() and not path.is_dir():
        raise DataDirError(f"{path} is a file, not a data dir")
    if path.is_dir() and any(path.iterdir()) and not args.force:
        raise DataDirError(
            f"{path} is not empty: generating would overwrite what is there; pass --force "
            "to replace it, or choose a new or empty dir"
        )
    if args.provinces:
        from battlemap.geodata.synthetic.national import generate_national

        manifest = generate_national(
            path,
            args.provinces,
            households=args.households,
            seed=args.seed,
            quiet=args.quiet,
            force=args.force,
        )
        print(json.dumps(manifest["counts"], ensure_ascii=False))
        return 0
    manifest = generate(path, config, quiet=args.quiet, force=args.force)
    print(json.dumps(manifest["counts"], ensure_ascii=False))
    if args.report:
        from battlemap.geodata.synthetic.report import format_report

        print(format_report(manifest))
    return 0
