"""``battlemap run --workers N``: a bad count is one line and exit 2, before anything starts."""

from __future__ import annotations

import pytest

from battlemap.cli import main


@pytest.mark.parametrize("count", ["0", "65", "two", "-1"])
def test_a_bad_worker_count_is_refused(count: str, tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--data-dir", str(tmp_path / "d"), "--workers", count])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "number of workers from 1 to 64" in err
    assert "Traceback" not in err and not (tmp_path / "d").exists()  # nothing generated
