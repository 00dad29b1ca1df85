"""Schemathesis against the live service: generated requests for every operation in the
OpenAPI document, with a valid key, must get no 5xx, and only the statuses, content types
and bodies the document lists.

Bounded and deterministic: a fixed number of examples per operation from a derandomized
Hypothesis run, against a real uvicorn server on 127.0.0.1 with the embedded setup (no
analysis runs; uploads are checked and queued).
"""

from __future__ import annotations

import threading
from collections import Counter
from types import SimpleNamespace

import pytest

from service_helpers import bearer, free_port, make_settings, new_key, wait_for

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the dev extra")

EXAMPLES_PER_OPERATION = 30


@pytest.fixture(scope="module")
def live(tmp_path_factory, call_wav):
    import httpx
    import uvicorn

    from listenlens.config import Settings
    from listenlens.service.app import create_app

    home = tmp_path_factory.mktemp("home")
    settings = make_settings(home, max_upload_mb=2.0, worker_threads=0, webhook_allow_networks=[])
    key = new_key(settings, "acme")
    app = create_app(settings, Settings(audio={"max_duration_s": 60.0}))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: server.started, "uvicorn to start", deadline_s=60, every=0.05)
    # One real call, so id-taking operations also meet an existing id now and then.
    with open(call_wav, "rb") as f:
        r = httpx.post(f"{url}/v1/calls", headers=bearer(key), files={"file": ("call.wav", f, "audio/wav")},
                       data={"rep": "sam", "team": "west"}, timeout=60)
    assert r.status_code == 202, r.text
    yield SimpleNamespace(url=url, app=app, key=key, call_id=r.json()["id"])
    server.should_exit = True
    thread.join(timeout=30)


def test_generated_requests_get_no_server_error_and_match_the_document(live):
    import httpx
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    spec = httpx.get(f"{live.url}/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(spec)
    auth = bearer(live.key)
    statuses: Counter = Counter()
    failures: list[str] = []
    cases = 0

    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case):
            nonlocal cases
            if case.path_parameters and "call_id" in case.path_parameters and cases % 3 == 0:
                case.path_parameters["call_id"] = live.call_id
            response = case.call(base_url=live.url, headers=auth, timeout=60)
            cases += 1
            statuses[(case.method.upper(), case.path, response.status_code)] += 1
            try:
                case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                                         content_type_conformance, response_schema_conformance])
            except Exception as exc:  # collected: every operation runs, then all failures are shown
                failures.append(f"{case.method.upper()} {case.path} -> {response.status_code}: "
                                f"{str(exc).splitlines()[0][:300]}")

        run()

    server_errors = sum(n for (_, _, status), n in statuses.items() if status >= 500)
    print(f"\nschemathesis: {cases} cases over {len(spec['paths'])} paths, {server_errors} server errors")
    for key, n in sorted(statuses.items()):
        print(f"  {key[0]} {key[1]} {key[2]}: {n}")
    assert cases >= 300
    assert server_errors == 0, failures
    assert not failures, "\n".join(dict.fromkeys(failures))
    import httpx as _h

    assert _h.get(f"{live.url}/healthz", timeout=10).status_code == 200
