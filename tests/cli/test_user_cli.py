"""``battlemap user|token|audit`` through the installed console script (SQLite and PostGIS)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from battlemap.auth.store import AuthStore
from tests.auth.conftest import link_farm


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    exe = shutil.which("battlemap")
    assert exe, "the battlemap console script is not installed (pip install -e .)"
    return subprocess.run(
        [exe, *args], input=stdin if stdin is not None else "", capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


@pytest.fixture
def data(tmp_path: Path, small_data_dir: Path) -> Path:
    return link_farm(tmp_path / "data", small_data_dir)


@pytest.fixture(scope="module")
def county(embedded_store) -> str:
    province = embedded_store.regions.roots()[0].code
    return embedded_store.regions.children(embedded_store.regions.children(province)[0].code)[
        0
    ].code


def test_user_lifecycle(data: Path, county: str) -> None:
    where = ("--data-dir", str(data))
    added = cli("user", "add", "plan", "--role", "planner", "--scope", county[:6],
                "--password-stdin", *where, stdin="a long password\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith(f"added plan\tplanner\t{county}\tactive")
    assert (data / "users.sqlite").exists()
    listing = cli("user", "list", *where)
    assert listing.stdout.splitlines()[0] == "name\trole\tscope\tstate\tupdated"
    assert listing.stdout.splitlines()[1].startswith(f"plan\tplanner\t{county}\tactive")
    assert cli("user", "set-role", "plan", "leader", *where).returncode == 0
    assert cli("user", "set-scope", "plan", "52", *where).returncode == 0
    assert cli("user", "disable", "plan", *where).returncode == 0
    store = AuthStore.open("embedded", data_dir=data)
    user = store.user("plan")
    assert (user.role, user.scope, user.disabled) == ("leader", "520000000000", True)
    old_hash = user.password_hash
    passwd = cli("user", "passwd", "plan", "--password-stdin", *where, stdin="another one 9\n")
    assert passwd.returncode == 0 and store.user("plan").password_hash != old_hash


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("user", "add", "x", "--role", "planner", "--scope", "99", "--password-stdin"),
         "password1\n", "--scope 99: no such region"),
        (("user", "add", "x", "--role", "planner", "--scope", "52", "--password-stdin"),
         "", "standard input held no password"),
        (("user", "add", "x", "--role", "planner", "--scope", "52", "--password-stdin"),
         "short\n", "at least 8 characters"),
        (("user", "add", "a b", "--role", "planner", "--scope", "52", "--password-stdin"),
         "password1\n", "user name 'a b'"),
        (("user", "add", "x", "--role", "planner", "--scope", "52"),
         "password1\n", "pass --password-stdin"),
        (("user", "set-role", "ghost", "leader"), "", "no user 'ghost'"),
        (("user", "passwd", "ghost", "--password-stdin"), "password1\n", "no user 'ghost'"),
        (("token", "revoke", "nope"), "", "no token 'nope'"),
        (("audit", "--since", "yesterday"), "", "--since 'yesterday'"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2(data: Path, args, stdin, message) -> None:
    result = cli(*args, "--data-dir", str(data), stdin=stdin)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_role_is_refused_by_argparse(data: Path) -> None:
    result = cli("user", "add", "x", "--role", "root", "--scope", "52", "--password-stdin",
                 "--data-dir", str(data), stdin="password1\n")  # fmt: skip
    assert result.returncode == 2 and "invalid choice: 'root'" in result.stderr


def test_tokens(data: Path, county: str) -> None:
    where = ("--data-dir", str(data))
    added = cli("token", "add", "hall", "--scope", county, "--days", "30", *where)
    assert added.returncode == 0, added.stderr
    lines = added.stdout.splitlines()
    token_id = lines[0].split("\t")[0].removeprefix("added ")
    secret = lines[1].removeprefix("token: ")
    assert lines[2] == f"wall URL: /wall?token={secret}"
    store = AuthStore.open("embedded", data_dir=data)
    assert store.token_for_secret(secret).id == token_id
    listing = cli("token", "list", *where).stdout
    assert secret.split(".")[1] not in listing and "\tvalid until " in listing
    assert cli("token", "revoke", token_id, *where).returncode == 0
    assert store.token_for_secret(secret) is None
    assert "\trevoked " in cli("token", "list", *where).stdout


def test_audit_prints_and_filters(data: Path) -> None:
    store = AuthStore.open("embedded", data_dir=data)
    store.audit(who="plan", address="10.0.0.1", region="520100000000", action="page", allowed=True)
    store.audit(
        who="ana", address="10.0.0.2", region="520300000000", action="geo",
        detail="outside your access scope", allowed=False,
    )  # fmt: skip
    where = ("--data-dir", str(data))
    everything = cli("audit", *where).stdout.splitlines()
    assert everything[0] == "at\twho\taddress\tregion\taction\tresult\tdetail"
    assert [line.split("\t")[1] for line in everything[1:]] == ["plan", "ana"]
    refused = cli("audit", "--refused", *where).stdout.splitlines()[1:]
    assert len(refused) == 1 and refused[0].split("\t")[1:6] == [
        "ana", "10.0.0.2", "520300000000", "geo", "refused",
    ]  # fmt: skip
    assert len(cli("audit", "--user", "plan", "--since", "1h", *where).stdout.splitlines()) == 2
    assert len(cli("audit", "--since", "2999-01-01", *where).stdout.splitlines()) == 1


@pytest.mark.postgis
def test_users_in_postgis(postgis_cluster, county: str) -> None:
    dsn = postgis_cluster.create_database("bm_cli_users")
    added = cli("user", "add", "boss", "--role", "admin", "--scope", "52", "--password-stdin",
                "--dsn", dsn, stdin="a long password\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert cli("user", "list", "--dsn", dsn).stdout.splitlines()[1].startswith("boss\tadmin")
    store = AuthStore.open("postgis", dsn=dsn)
    assert store.admin_count() == 1
    store.close()


@pytest.mark.postgis
def test_users_with_dsn_file(postgis_cluster, tmp_path: Path) -> None:
    """The DSN (and its password) can come from a file, kept out of the process list."""
    dsn = postgis_cluster.create_database("bm_cli_users_file")
    dsn_file = tmp_path / "dsn"
    dsn_file.write_text(f"# the battle map's database\n{dsn}\n", encoding="utf-8")
    dsn_file.chmod(0o600)
    added = cli("user", "add", "boss", "--role", "admin", "--scope", "52", "--password-stdin",
                "--dsn-file", str(dsn_file), stdin="a long password\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = cli("user", "list", "--dsn-file", str(dsn_file))
    assert listed.stdout.splitlines()[1].startswith("boss\tadmin")
    for sub in (("token", "list"), ("audit",)):
        done = cli(*sub, "--dsn-file", str(dsn_file))
        assert done.returncode == 0, done.stderr
