"""The coaching pages without a browser: sign-in, tenant scoping, what each page draws."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from coaching_seed import CallSpec, seed
from listenlens.service.ui.callview import merge_lines, overlap_spans, timeline_svg

W46, W47 = datetime(2026, 11, 10, 9), datetime(2026, 11, 17, 9)


@pytest.fixture
def site(tmp_path):
    from listenlens.service.app import create_app
    from listenlens.service.domain.auth import create_key
    from listenlens.service.settings import ServiceSettings

    app = create_app(ServiceSettings(home=tmp_path, worker_threads=0), start_worker=False)
    with TestClient(app) as client:
        db = app.state.runtime.db
        with db.session() as s:
            keys = {"acme": create_key(s, "acme"), "globex": create_key(s, "globex")}
        calls = seed(db, "acme", [
            CallSpec("rep-a", "east", W46, 0.40, 4), CallSpec("rep-a", "east", W47, 0.70, 2),
            CallSpec("rep-b", "east", W46, 0.50, 4), CallSpec("rep-b", "east", W47, 0.50, 4),
        ])
        other = seed(db, "globex", [CallSpec("rep-z", "west", W47, 0.6, 1)])
        yield client, app, keys, calls, other


def _sign_in(client, key):
    """Read the pages as a script does, with the tenant's key (people sign in: test_accounts.py)."""
    client.headers["Authorization"] = f"Bearer {key}"


def test_pages_need_a_sign_in(site):
    client, _, keys, calls, _ = site
    for path in ("/ui", "/ui/upload", f"/ui/calls/{calls[0]}", "/ui/reps/rep-a", "/ui/teams/east"):
        res = client.get(path, follow_redirects=False)
        assert res.status_code == 303 and res.headers["location"].startswith("/ui/login?next=")
    for path in (f"/ui/calls/{calls[0]}/status", f"/ui/calls/{calls[0]}/audio", "/ui/exports/weeks/2026-W47"):
        assert client.get(path).status_code == 401


def test_another_tenants_call_is_not_found(site):
    client, _, keys, calls, other = site
    _sign_in(client, keys["acme"])
    assert client.get(f"/ui/calls/{calls[0]}").status_code == 200
    res = client.get(f"/ui/calls/{other[0]}")
    assert res.status_code == 404 and "No such call" in res.text
    assert client.get(f"/ui/calls/{other[0]}/status").status_code == 404
    assert client.get(f"/ui/calls/{other[0]}/audio").status_code == 404
    assert client.get("/ui/reps/rep-z").status_code == 404
    assert client.get("/ui/teams/west").status_code == 404


def test_a_revoked_key_no_longer_reads_the_pages(site):
    from listenlens.service.domain.auth import revoke_key

    client, app, keys, calls, _ = site
    _sign_in(client, keys["acme"])
    assert client.get("/ui").status_code == 200
    with app.state.runtime.db.session() as s:
        assert revoke_key(s, keys["acme"])
    assert client.get("/ui", follow_redirects=False).status_code == 303


def test_call_page_shows_score_components_timeline_and_moments(site):
    client, app, keys, calls, _ = site
    _sign_in(client, keys["acme"])
    html = client.get(f"/ui/calls/{calls[1]}").text  # rep-a, W47: 70% talk, 2 of 4 questions rushed
    from listenlens.service.db.models import Call

    with app.state.runtime.db.session() as s:
        score = s.get(Call, calls[1]).score
    assert re.search(rf'id="score-value">{score:.0f}<', html)
    assert ">70%<" in html and "35-50%" in html  # talk ratio against its target
    wide = html[html.index('id="timeline"'):html.index('id="timeline-phone"')]
    assert wide.count('class="mark question ok seek"') == 2 and wide.count('class="mark question bad seek"') == 2
    assert wide.count('<g class="lane role-') == 2
    moments = html[html.index('id="moments-h"'):html.index('id="transcript-h"')]
    assert moments.count('class="seek moment-seek"') >= 2  # the two rushed questions, the longest rep turns
    # Seeded calls have no recording: the page says so instead of showing a dead player.
    assert 'id="player"' not in html and "No recording is stored" in html


def test_call_page_coaches_the_furthest_from_target_first(site):
    client, app, keys, calls, _ = site
    _sign_in(client, keys["acme"])
    html = client.get(f"/ui/calls/{calls[1]}").text  # rep-a, W47: 70% talk (score 20), 2 of 4 questions rushed
    coach = html[html.index('id="coach"'):]
    coach = coach[:coach.index("</section>")]
    assert html.index('id="coach"') < html.index('id="score-value"'), "coach this comes first"
    items = re.findall(r'data-component="(\w+)"', coach)
    assert items[0] == "talk_ratio" and len(items) <= 2
    first = coach[:coach.index("</li>")]
    assert "rep-a did 70% of the talking" in first and "Let the customer answer" in first
    assert re.search(r'class="seek moment-seek coach-seek" data-t="[0-9.]+"', first), "with the moment to play"
    # People by name, never by the diarizer's labels.
    assert "SPK_REP" not in _visible(html) and "SPK_CUS" not in _visible(html)
    assert ">Customer</b>" in html and ">rep-a</b>" in html


def _visible(html: str) -> str:
    """The page's text and attribute values a person can meet (no data-* attributes)."""
    return re.sub(r'\sdata-[\w-]+="[^"]*"', "", html)


def test_processing_and_failed_calls(site):
    from listenlens.service.db.models import Call

    client, app, keys, calls, _ = site
    _sign_in(client, keys["acme"])
    with app.state.runtime.db.session() as s:
        call = s.get(Call, calls[0])
        call.status, call.progress_stage, call.progress = "processing", "transcribe", 0.4
    html = client.get(f"/ui/calls/{calls[0]}").text
    assert 'id="processing"' in html and "score-value" not in html
    status = client.get(f"/ui/calls/{calls[0]}/status").json()
    assert status == {"id": calls[0], "status": "processing", "stage": "transcribe", "fraction": 0.4,
                      "error": None, "score": status["score"], "queue_position": None}
    with app.state.runtime.db.session() as s:
        call = s.get(Call, calls[0])
        call.status, call.error_code, call.error_message = "failed", "bad_audio", "call.wav is silent: nobody speaks"
    html = client.get(f"/ui/calls/{calls[0]}").text
    assert "call.wav is silent: nobody speaks" in html and 'id="failure"' in html


def test_rep_page_plots_weekly_means_against_the_team_median(site):
    client, _, keys, calls, _ = site
    _sign_in(client, keys["acme"])
    html = client.get("/ui/reps/rep-a").text
    talk = html[html.index('data-metric="talk_ratio"'):]
    talk = talk[:talk.index("</section>")]
    # One rep point per week, the team median per week, a target band, a dot per call.
    assert talk.count('class="own-pt"') == 2 and talk.count('class="other-pt"') == 2
    assert talk.count('class="band"') == 1
    assert talk.count('class="call-dot"') == 2
    assert "W47: 70%" in talk and "W46: 40%" in talk
    assert "W47: 60%" in talk and "W46: 45%" in talk  # team medians: (70+50)/2, (40+50)/2
    for call_id in calls[:2]:
        assert f'href="/ui/calls/{call_id}"' in html
    team = client.get("/ui/teams/east").text
    assert all(f'href="/ui/calls/{c}"' in team for c in calls)
    assert 'href="/ui/reps/rep-a"' in team and 'href="/ui/reps/rep-b"' in team


def test_overlap_spans_and_transcript_lines():
    speech = [{"start": 0, "end": 5, "speaker": "A"}, {"start": 4, "end": 8, "speaker": "B"},
              {"start": 4.5, "end": 4.8, "speaker": "A"}, {"start": 8, "end": 9, "speaker": "A"},
              {"start": 10, "end": 12, "speaker": "B"}, {"start": 11, "end": 13, "speaker": "B"}]
    # A's own overlapping turns and touching turns are not overlaps; B's own overlap is not either.
    assert overlap_spans(speech) == [(4.0, 5.0)]

    words = [("A", 0.0, "so"), ("B", 0.2, "mm"), ("A", 0.4, "what"), ("B", 0.6, "we"), ("A", 0.8, "now"),
             ("A", 5.0, "later")]
    pieces = [{"speaker": s, "start": t, "end": t + 0.2, "text": w} for s, t, w in words]
    lines = merge_lines(pieces)
    assert [(line["speaker"], line["text"]) for line in lines] == [("A", "so what now"), ("B", "mm we"), ("A", "later")]


def test_timeline_markers_sit_at_their_times():
    timeline = {"duration": 100.0, "speakers": [{"label": "C", "role": "customer"}, {"label": "R", "role": "rep"}],
                "speech": [{"start": 0, "end": 50, "speaker": "R"}, {"start": 50, "end": 100, "speaker": "C"}],
                "words": []}
    from listenlens.pipeline.scorecard.models import Interruption, Question

    question = Question(start=40, end=50, speaker="R", text="why?", form="wh", wait_s=2.0, next_by="R",
                        next_role="rep", outcome="self_answered", honoured=False)
    interruption = Interruption(start=75, end=76, by="rep", of="customer", by_label="R", of_label="C",
                                kind="rep_on_customer", overlap_s=1.0, yielded=False, text="but", interrupted_text="so")
    metrics = _empty_metrics(questions=[question], interruptions=[interruption])
    svg = timeline_svg(timeline, metrics)
    x0, w = svg["gutter"], svg["plot_w"]
    assert [lane["label"] for lane in svg["lanes"]] == ["R", "C"], "the rep's lane comes first"
    q = svg["questions"][0]
    assert q["x"] == pytest.approx(x0 + w * 0.5) and q["ww"] == pytest.approx(w * 0.02) and q["cls"] == "bad"
    assert svg["interruptions"][0]["x"] == pytest.approx(x0 + w * 0.75)
    assert svg["interruptions"][0]["y"] == svg["lanes"][0]["y"]


def test_uncertain_events_are_marked_so_on_the_timeline():
    timeline = {"duration": 100.0, "speakers": [{"label": "C", "role": "customer"}, {"label": "R", "role": "rep"}],
                "speech": [{"start": 0, "end": 50, "speaker": "R"}, {"start": 50, "end": 100, "speaker": "C"}],
                "words": []}
    from listenlens.pipeline.scorecard.models import Question

    sure = Question(start=10, end=12, speaker="R", text="why?", form="wh", wait_s=2.0, next_by="C",
                    next_role="customer", outcome="answered", honoured=True)
    unsure = sure.model_copy(update={"start": 40, "end": 50, "confidence": 0.3, "uncertain": True})
    svg = timeline_svg(timeline, _empty_metrics(questions=[sure, unsure]))
    first, second = svg["questions"]
    assert "uncertain" not in first["cls"] and "uncertain" not in first["title"]
    assert "uncertain" in second["cls"].split() and "uncertain" in second["title"]


def test_interruption_facts_say_not_measured_estimated_or_exact():
    from listenlens.service.ui.callview import _facts

    def shown(**counts):
        base = _empty_metrics()
        metrics = base.model_copy(update={"interruption_counts": base.interruption_counts.model_copy(update=counts)})
        return dict(_facts(metrics))["Rep interrupted customer"]

    assert shown(rep_on_customer=2, measured=True, estimated=False) == "2"
    assert shown(rep_on_customer=2, measured=True, estimated=True) == "2 (estimated, mono)"
    assert shown(rep_on_customer=0, measured=False) == "not measured"


def _empty_metrics(**change):
    from listenlens.pipeline.scorecard import score_call
    from listenlens.pipeline.timeline import build_timeline

    return score_call(build_timeline([])).metrics.model_copy(update=change)


def test_component_pills_and_marks_carry_their_verdict(site):
    from listenlens.pipeline.scorecard import Scorecard, Verdict
    from listenlens.service.db.models import CallResult

    client, app, keys, calls, _ = site
    _sign_in(client, keys["acme"])
    html = client.get(f"/ui/calls/{calls[1]}").text
    with app.state.runtime.db.session() as s:
        card = Scorecard.model_validate(s.get(CallResult, calls[1]).scorecard)
    rows = re.findall(r'<tr class="[^"]*" title="[^"]*">(.*?)</tr>', html[html.index('class="components"'):], re.S)
    assert len(rows) == len(card.components)
    for c in card.components:
        row = next(r for r in rows if f"<strong>{c.label}</strong>" in r)
        assert f'class="pill {c.verdict.value}" title="{c.verdict.label}"' in row, c.name
        if c.applicable:
            assert f'class="bullet-mark {c.verdict.value}"' in row
    assert card.component("talk_ratio").verdict is Verdict.FAR  # 70% talk scores 20
    # The verdict colours reach the stylesheet once, from the component definitions.
    css = client.get("/ui/verdicts.css").text
    assert all(f"--{v.value.replace('_', '-')}: {v.colour};" in css for v in Verdict)


def test_trend_page_judges_the_latest_week_against_the_target(site):
    client, _, keys, _, _ = site
    _sign_in(client, keys["acme"])
    html = client.get("/ui/reps/rep-a").text
    talk = html[html.index('data-metric="talk_ratio"'):]
    assert re.search(r'<span class="latest far"[^>]*>70%<', talk[:talk.index("</section>")])


def test_browsers_get_pages_for_errors_and_scripts_keep_json(site):
    client, _, keys, calls, _ = site
    html = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    _sign_in(client, keys["acme"])
    res = client.get("/ui/no/such/page", headers=html)
    assert res.status_code == 404 and res.headers["content-type"].startswith("text/html")
    assert "Page not found" in res.text and "There is no page at this address" in res.text
    assert '"error"' not in res.text
    assert client.get("/ui/no/such/page").json()["error"]["code"] == "not_found"
    # The upload form posted without JavaScript, with a bad time: a page that leads back to the form.
    res = client.post("/ui/upload", headers=html, data={"rep": "r", "team": "t", "call_time": "yesterday"},
                      files={"file": ("a.wav", b"RIFF", "audio/wav")})
    assert 400 <= res.status_code < 500 and res.headers["content-type"].startswith("text/html")
    assert 'href="/ui/upload"' in res.text or 'href="/ui"' in res.text
    del client.headers["Authorization"]  # no key and no session
    res = client.get(f"/ui/calls/{calls[0]}/status", headers=html)
    assert res.status_code == 401 and "Please sign in" in res.text and 'href="/ui/login"' in res.text


def test_trends_agree_with_the_scorecards_and_keep_empty_weeks(site):
    from listenlens.pipeline.scorecard import Scorecard
    from listenlens.service.db.models import CallResult

    client, app, keys, calls, _ = site
    _sign_in(client, keys["acme"])
    seed(app.state.runtime.db, "acme", [CallSpec("rep-a", "east", datetime(2026, 10, 27, 9), 0.45, 4)])  # W44
    with app.state.runtime.db.session() as s:
        card = Scorecard.model_validate(s.get(CallResult, calls[1]).scorecard)
    # Seeded calls are short: the scorecard does not score their interruption rate, so no chart shows one.
    assert not card.component("interruptions").applicable and card.metrics.interruption_counts.rep_on_customer_per_10min is not None
    html = client.get("/ui/reps/rep-a").text
    assert 'data-metric="interruptions_rep_per_10min"' not in html
    talk = html[html.index('data-metric="talk_ratio"'):]
    talk = talk[:talk.index("</section>")]
    # W44, W45 (no calls), W46, W47 on the axis; the line breaks at the empty week.
    axis = re.findall(r"<title>(2026-W\d\d)(?:: no calls)?</title>W\d\d</text>", talk)
    assert axis == ["2026-W44", "2026-W45", "2026-W46", "2026-W47"]
    assert "2026-W45: no calls" in talk and talk.count('class="gap-week"') == 1
    path = re.search(r'class="own" d="([^"]+)"', talk).group(1)
    assert path.count("M") == 2, "no line drawn across a week without calls"
    # The headline says what it is: the latest week, how many calls, and the move from the week before.
    assert "2026-W47, 1 call · far" in talk
    assert re.search(r'class="delta worse"[^>]*>↑ up 30 pts', talk)
    assert '<td>no calls</td>' in talk, "the chart's numbers are in a table for screen readers"


def test_team_page_ranks_reps_by_need_and_rep_page_coaches(site):
    client, _, keys, _, _ = site
    _sign_in(client, keys["acme"])
    html = client.get("/ui/teams/east").text
    table = html[html.index('class="team-table'):]
    table = table[:table.index("</table>")]
    reps = re.findall(r'<a href="/ui/reps/([\w-]+)">', table)
    assert reps == ["rep-a", "rep-b"], "rep-a (70% talk, rushed questions) needs coaching most"
    assert 'class="arrow worse"' in table  # rep-a's talk ratio moved away from target
    rep = client.get("/ui/reps/rep-a").text
    coach = rep[rep.index('id="coach"'):]
    coach = coach[:coach.index("</section>")]
    assert re.findall(r'data-component="(\w+)"', coach)[0] in ("talk_ratio", "four_second_rule")
    assert re.search(r'href="/ui/calls/call_[0-9a-f]+#t=[0-9.]+"', coach), "each item links to its moment"


def test_call_list_filters_by_rep_team_score_and_date(site):
    from listenlens.service.db.models import Call

    client, app, keys, calls, _ = site
    _sign_in(client, keys["acme"])

    def listed(query: str) -> set[str]:
        html = client.get(f"/ui?{query}").text
        return set(re.findall(r'href="/ui/calls/(call_[0-9a-f]+)"', html))

    assert listed("") == set(calls)
    assert listed("rep=rep-a") == set(calls[:2])
    assert listed("team=east&from=2026-11-16&to=2026-11-22") == {calls[1], calls[3]}
    assert listed("to=2026-11-10") == {calls[0], calls[2]}, "the to-day is included"
    with app.state.runtime.db.session() as s:
        scores = {c: s.get(Call, c).score for c in calls}
    poor = {c for c, v in scores.items() if v < 50}
    assert listed("score=poor") == poor and listed("score=good") == {c for c, v in scores.items() if v >= 75}


def test_a_queued_call_shows_its_place_in_the_queue(site):
    from listenlens.service.db.models import Call, Job

    client, app, keys, calls, _ = site
    _sign_in(client, keys["acme"])
    with app.state.runtime.db.session() as s:
        for call_id in calls[:2]:
            s.get(Call, call_id).status = "queued"
            s.add(Job(kind="analyze", tenant_id=s.get(Call, call_id).tenant_id, call_id=call_id, status="queued"))
    assert client.get(f"/ui/calls/{calls[0]}/status").json()["queue_position"] == 1
    assert client.get(f"/ui/calls/{calls[1]}/status").json()["queue_position"] == 2
    html = client.get(f"/ui/calls/{calls[1]}").text
    assert "Waiting for a worker: number 2 in the queue" in html


def test_a_server_fault_is_a_page_for_a_browser(site, monkeypatch):
    from listenlens.service.domain import calls as domain_calls

    client, app, keys, calls, _ = site
    _sign_in(client, keys["acme"])

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(domain_calls, "call_detail", broken)
    quiet = TestClient(app, raise_server_exceptions=False, headers={"Authorization": client.headers["Authorization"]})
    res = quiet.get(f"/ui/calls/{calls[0]}", headers={"accept": "text/html"})
    assert res.status_code == 500 and res.headers["content-type"].startswith("text/html")
    assert "Something went wrong on our side" in res.text and "boom" not in res.text
    assert quiet.get(f"/ui/calls/{calls[0]}").json()["error"]["code"] == "internal_error"


def test_close_question_marks_go_on_rows_of_their_own():
    from listenlens.pipeline.scorecard.models import Question
    from listenlens.service.ui.callview import Q_SPACING

    timeline = {"duration": 100.0, "speakers": [{"label": "R", "role": "rep"}, {"label": "C", "role": "customer"}],
                "speech": [{"start": 0, "end": 100, "speaker": "R"}], "words": []}

    def question(end):
        return Question(start=end - 1, end=end, speaker="R", text="ok?", form="tag", wait_s=0.5, next_by="R",
                        next_role="rep", outcome="self_answered", honoured=False)

    svg = timeline_svg(timeline, _empty_metrics(questions=[question(40.0), question(41.0), question(42.0),
                                                            question(80.0)]))
    marks = svg["questions"]
    xs = [(q["x"], q["cy"]) for q in marks]
    # Any two marks on one row are at least Q_SPACING apart; the three close ones take three rows.
    for i, (x1, y1) in enumerate(xs):
        for x2, y2 in xs[i + 1:]:
            assert y1 != y2 or abs(x1 - x2) >= Q_SPACING
    assert len({q["cy"] for q in marks[:3]}) == 3 and marks[3]["cy"] == marks[0]["cy"]
    assert svg["lanes"][0]["y"] > max(q["cy"] for q in marks) + 8, "the lanes start below the last row"
    # Names, not labels, on the lanes and in the marks' words.
    assert [lane["name"] for lane in svg["lanes"]] == ["Rep", "Customer"] and "R asked" not in marks[0]["title"]
