"""The database password stays out of the process list (issue 18.12): PGPASSWORD,
~/.pgpass and --dsn-file work against a real PostgreSQL that checks passwords; a
password in --dsn still works, with a warning."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from battlemap.cli import build_parser, main
from battlemap.cli.options import PASSWORD_WARNING
from battlemap.geodata.synthetic.generate import generate
from tests.pg import PgCluster

USER, PASSWORD = "bm_reader", "s3cret-pw"


@pytest.mark.parametrize(
    "argv",
    [
        ["stats", "--region", "52", "--year", "2016"],
        ["exit-report", "--region", "52", "--year", "2016"],
        ["run"],
        ["db", "load"],
        ["import", "households", "x.csv"],
    ],
)
def test_every_subcommand_takes_a_dsn_file(argv, tmp_path: Path, capsys) -> None:
    dsn_file = tmp_path / "dsn"
    dsn_file.write_text("# production database\n\npostgresql://u:pw@db.example/bm\n")
    dsn_file.chmod(0o600)
    args = build_parser().parse_args([*argv, "--dsn-file", str(dsn_file)])
    assert args.dsn == "postgresql://u:pw@db.example/bm"
    assert capsys.readouterr().err == ""  # owner-only file: no warning
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([*argv, "--dsn", "postgresql://x", "--dsn-file", str(dsn_file)])
    assert info.value.code == 2


def test_password_in_dsn_warns(capsys) -> None:
    stats = ["stats", "--region", "52", "--year", "2016"]
    args = build_parser().parse_args([*stats, "--dsn", "postgresql://u:pw@h/db"])
    assert args.dsn == "postgresql://u:pw@h/db"
    assert PASSWORD_WARNING in capsys.readouterr().err
    build_parser().parse_args([*stats, "--dsn", "host=h user=u dbname=db"])
    assert capsys.readouterr().err == ""


def test_bad_dsn_file_is_one_line_exit_2(tmp_path: Path, capsys) -> None:
    for path, why in ((tmp_path / "absent", "No such file"), (tmp_path / "empty", "holds no DSN")):
        if path.name == "empty":
            path.write_text("# nothing\n")
        with pytest.raises(SystemExit) as info:
            build_parser().parse_args(["stats", "--region", "52", "--dsn-file", str(path)])
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert why in err and "Traceback" not in err


def test_readable_dsn_file_with_password_warns(tmp_path: Path, capsys) -> None:
    path = tmp_path / "dsn"
    path.write_text("postgresql://u:pw@h/db\n")
    path.chmod(0o644)
    build_parser().parse_args(["stats", "--region", "52", "--year", "1", "--dsn-file", str(path)])
    assert "chmod 600" in capsys.readouterr().err


# -- against a PostgreSQL that asks for a password ------------------------------------------
@pytest.fixture(scope="module")
def password_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A cluster whose TCP logins for USER need a SCRAM password; the DSN has none."""
    data = tmp_path_factory.mktemp("pw-data")
    generate(data, households=2000, seed=3, quiet=True)
    with PgCluster() as pg:
        pg.load_database("pw", data)
        hba = pg.root / "data" / "pg_hba.conf"
        hba.write_text(
            f"host all {USER} 127.0.0.1/32 scram-sha-256\n" + hba.read_text(), encoding="utf-8"
        )
        conn = pg.connect("pw")
        with conn.cursor() as cur:
            cur.execute(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'")
            cur.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {USER}")
            cur.execute("SELECT pg_reload_conf()")
        conn.close()
        yield f"postgresql://{USER}@127.0.0.1:{pg.port}/pw"


def _stats(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(["stats", "--store", "postgis", "--region", "52", "--year", "2016", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.postgis
def test_password_sources(password_db: str, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.delenv("PGPASSFILE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.pgpass yet
    code, _out, err = _stats(["--dsn", password_db], capsys)
    assert code == 2 and "password" in err and err.count("\n") == 1  # refused, one line

    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    code, out, err = _stats(["--dsn", password_db], capsys)
    assert code == 0 and json.loads(out)["code"] == "520000000000", err
    assert PASSWORD_WARNING not in err
    monkeypatch.delenv("PGPASSWORD")

    pgpass = tmp_path / ".pgpass"
    pgpass.write_text(f"127.0.0.1:*:pw:{USER}:{PASSWORD}\n")
    pgpass.chmod(0o600)
    code, out, err = _stats(["--dsn", password_db], capsys)
    assert code == 0, err
    pgpass.unlink()

    dsn_file = tmp_path / "dsn"
    dsn_file.write_text(password_db.replace(f"{USER}@", f"{USER}:{PASSWORD}@") + "\n")
    dsn_file.chmod(0o600)
    code, out, err = _stats(["--dsn-file", str(dsn_file)], capsys)
    assert code == 0 and err == "", err

    with_password = password_db.replace(f"{USER}@", f"{USER}:{PASSWORD}@")
    code, out, err = _stats(["--dsn", with_password], capsys)
    assert code == 0 and PASSWORD_WARNING in err  # still works, with the warning


def test_dsn_file_joins_an_existing_group(tmp_path: Path, capsys) -> None:
    """For commands whose --dsn excludes another option (e.g. --data-dir of the user tables)."""
    import argparse

    from battlemap.cli.options import DsnAction, add_dsn_file_option

    parser = argparse.ArgumentParser()
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data-dir")
    where.add_argument("--dsn", action=DsnAction, default=None)
    add_dsn_file_option(where)
    path = tmp_path / "dsn"
    path.write_text("host=db user=u\n")
    assert parser.parse_args(["--dsn-file", str(path)]).dsn == "host=db user=u"
    parser.parse_args(["--dsn", "postgresql://u:pw@db/x"])
    assert PASSWORD_WARNING in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parser.parse_args(["--data-dir", "d", "--dsn-file", str(path)])
