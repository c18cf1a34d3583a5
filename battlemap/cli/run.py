"""``battlemap run``: serve the battle map; the first run generates the demo data."""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

from battlemap.auth.config import AuthConfig, load_secret
from battlemap.auth.production import check_production
from battlemap.cli.options import add_store_options
from battlemap.geodata.datadir import MANIFEST_FILE, holds_data
from battlemap.geodata.errors import DataDirError
from battlemap.geodata.synthetic.config import GeneratorConfig
from battlemap.settings import Settings
from battlemap.web.config import add_web_options, web_settings

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="serve the battle map web app")
    add_store_options(parser)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8050)
    parser.add_argument("--language", choices=("zh", "en"), default="zh")
    parser.add_argument(
        "--demo-households",
        type=int,
        default=GeneratorConfig.households,
        help="households to generate when the data dir is empty",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="verbose logs; the Werkzeug debugger only with BATTLEMAP_DEV=1, never --production",
    )
    add_web_options(parser)
    parser.add_argument(
        "--workers",
        type=_workers,
        default=1,
        help="worker processes (default 1); each serves with 8 threads",
    )
    parser.add_argument(
        "--production",
        action="store_true",
        help="require sign-in (needs BATTLEMAP_SECRET_KEY or --secret-file and an admin user)",
    )
    parser.add_argument("--secret-file", default=None, help="file holding the session secret")
    parser.add_argument(
        "--wall-config",
        default=None,
        metavar="FILE",
        help="TOML settings of the /wall screen (tour, interval, language; see README)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings(
        store=args.store,
        data_dir=args.data_dir,
        dsn=args.dsn,
        read_dsns=tuple(args.read_dsns),
        host=args.host,
        port=args.port,
        language=args.language,
        debug=args.debug,
        rules_path=args.rules,
        **web_settings(args),  # allowed hosts, body cap, database timeout
    )
    auth = AuthConfig(production=args.production, secret_key=load_secret(args.secret_file))
    # before generating anything: no secret or no admin is one line and exit 2
    check_production(auth, kind=settings.store, data_dir=settings.data_dir, dsn=settings.dsn)
    _wall_config(args.wall_config)  # a bad wall file: one line and exit 2, before generating
    if auth.secret_key is None:  # the open demo: one key made here, inherited by every worker
        auth = AuthConfig(production=auth.production, secret_key=secrets.token_hex(32))
    if settings.store == "embedded" and not (settings.data_dir / MANIFEST_FILE).exists():
        _first_run(settings.data_dir, args.demo_households)
    from battlemap.app import create_app
    from battlemap.web.server import development_mode, serve

    development = development_mode(settings.debug, getattr(args, "production", False))
    return serve(
        lambda: create_app(settings, auth=auth),
        settings,
        workers=args.workers,
        development=development,
    )


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of workers from 1 to 64")
    return value


def _wall_config(path: str | None) -> None:
    """Check the wall's TOML file and pass it to the app (every worker reads it)."""
    if path:
        import os

        from battlemap.wall import CONFIG_ENV, load_wall_config

        load_wall_config(path)
        os.environ[CONFIG_ENV] = str(Path(path).resolve())


def _first_run(data_dir: Path, households: int) -> None:
    """Generate the demo data into a new or empty data dir; a dir that holds data but no
    manifest.json is an error (its data is never overwritten)."""
    from battlemap.geodata.synthetic.generate import generate

    if data_dir.exists() and not data_dir.is_dir():
        raise DataDirError(f"data dir {data_dir} is a file, not a directory")
    present = holds_data(data_dir)
    if present:
        raise DataDirError(
            f"data dir {data_dir} holds data ({', '.join(present[:3])}"
            f"{', …' if len(present) > 3 else ''}) but no {MANIFEST_FILE}: it is incomplete "
            "or damaged, so no demo data is generated over it; restore manifest.json, "
            "re-import, or pass an empty --data-dir"
        )
    print(f"First run: generating synthetic demo data in {data_dir} …", file=sys.stderr)
    generate(data_dir, GeneratorConfig(households=households))
