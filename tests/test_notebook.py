"""The weekly coaching notebook runs top to bottom on a database the test builds.

Four reps over two ISO weeks, scored by the real scorecard from hand-built timelines:
rep-a's talk ratio jumps (40% -> 70%), rep-b stops waiting after questions (100% ->
25% of questions given four seconds), rep-c is steady and rep-d moves a little. The
notebook must draw its figures and flag exactly rep-a and rep-b.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent / "ui"))
from coaching_seed import CallSpec, seed  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "weekly_coaching_review.ipynb"
W46, W47 = datetime(2026, 11, 10, 9), datetime(2026, 11, 17, 9)  # Tuesdays of 2026-W46 and 2026-W47

# rep -> ((talk ratio, questions honoured of 4) last week, (same) this week), two calls each week
PLAN = {
    "rep-a": ((0.40, 4), (0.70, 4)),
    "rep-b": ((0.45, 4), (0.45, 1)),
    "rep-c": ((0.50, 3), (0.50, 3)),
    "rep-d": ((0.45, 3), (0.52, 3)),
}


def build_home(home: Path) -> None:
    from listenlens.service.db.database import Database

    db = Database(f"sqlite:///{home / 'listenlens.db'}")
    db.migrate()
    specs = []
    for rep, ((r0, h0), (r1, h1)) in PLAN.items():
        for hour in (0, 3):
            specs.append(CallSpec(rep, "emea", W46.replace(hour=9 + hour), r0, h0))
            specs.append(CallSpec(rep, "emea", W47.replace(hour=9 + hour), r1, h1))
    seed(db, "acme", specs)
    db.dispose()


def test_notebook_runs_and_flags_the_movers(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    build_home(home)
    monkeypatch.setenv("LISTENLENS_REVIEW_SOURCE", str(home))
    monkeypatch.delenv("LISTENLENS_REVIEW_WEEK", raising=False)  # the latest week: 2026-W47
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()

    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, errors
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 3, f"expected the notebook's figures, got {len(images)} images"

    # What was said, rep by rep: the content columns of every rep this week.
    said = next(o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})
                and "objections_listening_share" in o["data"]["text/html"])
    assert "customer_focus_share" in said and "next_step_agreed" in said
    assert all(rep in said for rep in PLAN)

    lines = [line for o in outputs if o.get("output_type") == "stream"
             for line in o.get("text", "").splitlines() if line.startswith("{")]
    summary = json.loads(lines[-1])
    assert summary["week"] == "2026-W47" and summary["previous"] == "2026-W46"
    assert summary["flagged"] == ["rep-a", "rep-b"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_review_reads_an_export_like_the_database(tmp_path, fmt):
    """A CSV/Parquet export gives the review the same rows and flags as the database."""
    from listenlens.service.db.database import Database
    from listenlens.service.domain import review
    from listenlens.service.domain.exports import week_rows, write_export

    home = tmp_path / "home"
    home.mkdir()
    build_home(home)
    db = Database(f"sqlite:///{home / 'listenlens.db'}")
    with db.session() as s:
        from listenlens.service.db.models import Tenant
        tenant = s.query(Tenant).one()
        rows = week_rows(s, tenant.id, ["2026-W46", "2026-W47"])
    db.dispose()
    path = write_export(rows, tmp_path / f"weeks.{fmt}", fmt)

    from_file = review.load_rows(path, ["2026-W46", "2026-W47"])
    from_db = review.load_rows(home, ["2026-W46", "2026-W47"])
    assert len(from_file) == len(from_db) == 16
    flags_file = review.flag_movers(review.week_over_week(from_file, "2026-W47"))
    flags_db = review.flag_movers(review.week_over_week(from_db, "2026-W47"))
    assert flags_file[["rep", "metric"]].values.tolist() == flags_db[["rep", "metric"]].values.tolist()
    assert sorted(flags_db["rep"]) == ["rep-a", "rep-b"]
    moved = flags_db.set_index("rep")["change"]
    assert moved["rep-a"] == pytest.approx(0.30, abs=0.01)
    assert moved["rep-b"] == pytest.approx(-0.75, abs=0.01)


def test_rep_table_verdicts_follow_the_component_targets(tmp_path):
    from listenlens.service.domain import review

    home = tmp_path / "home"
    home.mkdir()
    build_home(home)
    table = review.rep_table(review.load_rows(home, ["2026-W47"]), "2026-W47")
    marks = review.verdicts(table)
    # talk ratio 35-50% is met, 52% near (score 92), 70% far (score 20); 4 of 4 questions met, 1 of 4 far
    assert marks["talk_ratio"].to_dict() == {"rep-a": "far", "rep-b": "met", "rep-c": "met", "rep-d": "near"}
    assert marks.loc["rep-a", "four_second_rule_share"] == "met" and marks.loc["rep-b", "four_second_rule_share"] == "far"
    assert (marks["calls"] == "").all()
    assert "color: #dc2626" in review.style_verdicts(table).to_html()
