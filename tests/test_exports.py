"""Week exports: ISO week parsing, the ``listenlens export`` command and the API."""

from __future__ import annotations

import io
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent / "ui"))
from coaching_seed import CallSpec, seed  # noqa: E402
from listenlens.errors import ListenlensError
from listenlens.service.domain.exports import normalise_week, read_export, week_bounds

W46, W47 = datetime(2026, 11, 13, 16), datetime(2026, 11, 16, 0, 30)  # Fri of W46; just after W47 starts


def test_week_bounds():
    assert week_bounds("2026-W47") == (datetime(2026, 11, 16), datetime(2026, 11, 23))
    assert week_bounds("2026w47") == week_bounds("2026-W47")
    # ISO years straddle calendar years: 2026-W01 starts on Monday 29 December 2025.
    assert week_bounds("2026-W01")[0] == datetime(2025, 12, 29)
    assert normalise_week("2026-W7") == "2026-W07"
    assert week_bounds("2026-W53")[0] == datetime(2026, 12, 28)


@pytest.mark.parametrize("bad", ["2025-W53", "2026-W00", "2026-47", "W47", "", "2026-W47-1", "last week"])
def test_bad_weeks_are_refused_in_one_line(bad):
    with pytest.raises(ListenlensError) as err:
        week_bounds(bad)
    assert "\n" not in err.value.message and "ISO week" in err.value.message


@pytest.fixture
def home(tmp_path, monkeypatch):
    from listenlens.service.db.database import Database

    home = tmp_path / "home"
    home.mkdir()
    db = Database(f"sqlite:///{home / 'listenlens.db'}")
    db.migrate()
    seed(db, "acme", [CallSpec("rep-a", "east", W46, 0.40, 4), CallSpec("rep-a", "east", W47, 0.70, 2),
                      CallSpec("rep-b", "east", W47.replace(hour=9), 0.50, 3)])
    seed(db, "globex", [CallSpec("rep-z", "west", W47.replace(hour=10), 0.60, 1)])
    db.dispose()
    monkeypatch.setenv("LISTENLENS_HOME", str(home))
    monkeypatch.delenv("LISTENLENS_DATABASE_URL", raising=False)
    return home


def _cli(*args):
    from listenlens.cli import app

    return CliRunner().invoke(app, list(args))


def test_cli_exports_a_week_as_csv_and_parquet(home, tmp_path):
    csv_path, pq_path = tmp_path / "w47.csv", tmp_path / "w47.parquet"
    res = _cli("export", "--week", "2026-W47", "--tenant", "acme", "-o", str(csv_path))
    assert res.exit_code == 0, res.output
    res = _cli("export", "--week", "2026-W47", "--tenant", "acme", "--format", "parquet", "-o", str(pq_path))
    assert res.exit_code == 0, res.output

    csv, pq = read_export(csv_path), read_export(pq_path)
    # Only acme's calls of W47: the W46 call and the other tenant's call are not in it.
    assert sorted(csv["rep"]) == ["rep-a", "rep-b"]
    assert set(csv["iso_week"]) == {"2026-W47"}
    assert csv.loc[csv["rep"] == "rep-a", "talk_ratio"].item() == pytest.approx(0.70, abs=1e-3)
    assert csv.loc[csv["rep"] == "rep-a", "four_second_rule_share"].item() == pytest.approx(0.5, abs=1e-3)
    # Both formats hold the same table.
    assert list(pq.columns) == list(csv.columns)
    pd.testing.assert_frame_equal(csv.drop(columns=["external_id"]), pq.drop(columns=["external_id"]),
                                  check_dtype=False)
    assert not list(tmp_path.glob("*.part")), "no temp file is left behind"


def test_cli_several_weeks_and_tenant_choice(home, tmp_path):
    out = tmp_path / "two.csv"
    res = _cli("export", "--week", "2026-W46", "--week", "2026-W47", "--tenant", "acme", "-o", str(out))
    assert res.exit_code == 0, res.output
    assert sorted(read_export(out)["iso_week"]) == ["2026-W46", "2026-W47", "2026-W47"]

    res = _cli("export", "--week", "2026-W47", "-o", str(tmp_path / "x.csv"))
    assert res.exit_code != 0
    assert "2 tenants" in res.output and "--tenant" in res.output
    assert not (tmp_path / "x.csv").exists()


def test_cli_bad_input_is_one_line_and_writes_nothing(home, tmp_path):
    out = tmp_path / "bad.csv"
    for args in (["--week", "2026-W60"], ["--week", "2026-W47", "--tenant", "nobody"]):
        res = _cli("export", *args, "-o", str(out))
        assert res.exit_code == 2, res.output
        assert res.output.startswith("error: ") and res.output.count("\n") == 1, res.output
        assert "Traceback" not in res.output
    assert not out.exists()


def test_api_export_is_tenant_scoped(home):
    from fastapi.testclient import TestClient

    from listenlens.service.app import create_app
    from listenlens.service.domain.auth import create_key
    from listenlens.service.settings import ServiceSettings

    app = create_app(ServiceSettings(home=home, worker_threads=0), start_worker=False)
    with TestClient(app) as client:
        with app.state.runtime.db.session() as s:
            acme, globex = create_key(s, "acme"), create_key(s, "globex")

        res = client.get("/v1/exports/weeks/2026-W47?format=parquet", headers={"Authorization": f"Bearer {acme}"})
        assert res.status_code == 200
        assert "attachment" in res.headers["content-disposition"]
        rows = pd.read_parquet(io.BytesIO(res.content))
        assert sorted(rows["rep"]) == ["rep-a", "rep-b"]

        res = client.get("/v1/exports/weeks/2026-W47", headers={"Authorization": f"Bearer {globex}"})
        assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
        assert sorted(pd.read_csv(io.StringIO(res.text))["rep"]) == ["rep-z"]

        res = client.get("/v1/exports/weeks/2026-W99", headers={"Authorization": f"Bearer {acme}"})
        assert res.status_code == 400 and "ISO week" in res.json()["error"]["message"]
        res = client.get("/v1/exports/weeks/2026-W47?format=xlsx", headers={"Authorization": f"Bearer {acme}"})
        assert res.status_code == 400 and "csv or parquet" in res.json()["error"]["message"]
        assert client.get("/v1/exports/weeks/2026-W47").status_code == 401

        # An empty week is a valid export with the header only.
        res = client.get("/v1/exports/weeks/2026-W10", headers={"Authorization": f"Bearer {acme}"})
        assert res.status_code == 200 and res.text.startswith("call_id,") and res.text.count("\n") == 1
