"""``battlemap run --production`` refuses to start without a secret or an admin (exit 2)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from battlemap.auth.store import AuthStore
from tests.auth.conftest import link_farm


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    exe = shutil.which("battlemap")
    assert exe
    environ = {k: v for k, v in os.environ.items() if not k.startswith("BATTLEMAP_")}
    environ.update(env or {})
    return subprocess.run(
        [exe, "run", "--port", "0", *args], capture_output=True, text=True, timeout=120,
        env=environ, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture
def data(tmp_path: Path, small_data_dir: Path) -> Path:
    return link_farm(tmp_path / "data", small_data_dir)


def test_without_a_secret(data: Path) -> None:
    result = run("--production", "--data-dir", str(data))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "battlemap: error: --production needs a session secret: set BATTLEMAP_SECRET_KEY or "
        "pass --secret-file FILE"
    )


def test_short_or_unreadable_secret_file(data: Path, tmp_path: Path) -> None:
    short = tmp_path / "short"
    short.write_text("abc\n")
    result = run("--production", "--secret-file", str(short), "--data-dir", str(data))
    assert result.returncode == 2 and "at least 16 characters" in result.stderr
    missing = run("--production", "--secret-file", str(tmp_path / "nope"), "--data-dir", str(data))
    assert missing.returncode == 2 and "cannot read it" in missing.stderr


def test_without_an_admin(data: Path) -> None:
    env = {"BATTLEMAP_SECRET_KEY": "s" * 32}
    result = run("--production", "--data-dir", str(data), env=env)
    assert result.returncode == 2
    assert "--production needs at least one active admin" in result.stderr
    store = AuthStore.open("embedded", data_dir=data)
    store.add_user("plan", "planner", "52", "password1")  # not an admin: still refused
    assert run("--production", "--data-dir", str(data), env=env).returncode == 2
    store.add_user("boss", "admin", "52", "password1")
    store.set_disabled("boss")
    assert run("--production", "--data-dir", str(data), env=env).returncode == 2


def test_missing_data_dir_is_no_admin(tmp_path: Path) -> None:
    env = {"BATTLEMAP_SECRET_KEY": "s" * 32}
    result = run("--production", "--data-dir", str(tmp_path / "none"), env=env)
    assert result.returncode == 2 and "cannot read the users" in result.stderr
    assert not (tmp_path / "none").exists()  # nothing generated before the check
