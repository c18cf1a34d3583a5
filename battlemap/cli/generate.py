"""``battlemap generate``: write the synthetic demo province."""

from __future__ import annotations

import argparse
import json

from battlemap.geodata.synthetic.config import GeneratorConfig

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("generate", help="generate synthetic demo data")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--households", type=int, default=GeneratorConfig.households)
    parser.add_argument("--seed", type=int, default=GeneratorConfig.seed)
    parser.add_argument(
        "--province",
        default=GeneratorConfig.province,
        help="2-digit province code, e.g. 52 贵州, 45 广西, 53 云南, 62 甘肃",
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
    manifest = generate(args.data_dir, config, quiet=args.quiet)
    print(json.dumps(manifest["counts"], ensure_ascii=False))
    if args.report:
        from battlemap.geodata.synthetic.report import format_report

        print(format_report(manifest))
    return 0
