"""Response and request shapes, for the OpenAPI document (with examples)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from listenlens.pipeline.scorecard.models import Scorecard

CALL_EXAMPLE: JsonDict = {
    "id": "call_5f0c2a9e8b7d4c1fa3e6b2d9",
    "external_id": "zoom-88213",
    "status": "done",
    "rep": "rep-17",
    "team": "emea-smb",
    "call_time": "2026-11-18T14:05:00Z",
    "created_at": "2026-11-18T14:40:12Z",
    "started_at": "2026-11-18T14:40:13Z",
    "finished_at": "2026-11-18T14:41:02Z",
    "progress": None,
    "error": None,
    "score": 71.5,
    "options": {"channels": "rep,customer"},
    "recording": {"filename": "call.wav", "size_bytes": 1920044, "duration_s": 60.0, "channels": 2,
                  "available": True, "deleted_at": None},
}


class ErrorBody(BaseModel):
    code: str = Field(examples=["bad_audio"])
    message: str = Field(examples=["call.wav is not a recording FFmpeg can read: give WAV, MP3, M4A, OGG, FLAC or WebM"])


class ErrorResponse(BaseModel):
    error: ErrorBody


class Progress(BaseModel):
    stage: str | None = Field(None, description="what is happening: starting, Loading models, Reading the recording, "
                              "Finding who spoke, Transcribing, Scoring, done")
    fraction: float | None = Field(None, description="0..1 of the whole analysis; it only moves forward")


class Recording(BaseModel):
    filename: str | None
    size_bytes: int | None
    duration_s: float | None
    channels: int | None
    available: bool = Field(description="false once deleted by retention")
    deleted_at: str | None


class CallOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [CALL_EXAMPLE]})

    id: str
    external_id: str | None
    status: Literal["queued", "processing", "done", "failed"]
    rep: str | None
    team: str | None
    call_time: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    progress: Progress | None = Field(description="while queued or processing")
    error: ErrorBody | None = Field(description="why the call failed")
    score: float | None
    options: dict[str, Any]
    recording: Recording
    scorecard: Scorecard | None = Field(
        None, description="when done: the listening scorecard (listenlens.scorecard/1; docs/scorecard.schema.json)")


class CallList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"items": [CALL_EXAMPLE], "total": 1, "limit": 20,
         "offset": 0, "next_offset": None}]})

    items: list[CallOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class WebhookIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"url": "https://crm.example.com/hooks/listenlens"}]})

    url: str = Field(description="http(s) URL that receives POSTs for call.done and call.failed",
                     min_length=1, max_length=2000, pattern=r"^[^\x00-\x20\x7f]+$", json_schema_extra={"format": "uri"})


class WebhookOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "url": "https://crm.example.com/hooks/listenlens",
        "secret": "whsec_4c9b0d...",
        "created_at": "2026-11-18T09:00:00Z"}]})

    url: str
    secret: str | None = Field(None, description="shown only in the answer to PUT; store it to verify signatures")
    created_at: str


class DeliveryAttemptOut(BaseModel):
    at: str
    status_code: int | None
    error: str | None
    duration_ms: int | None


class DeliveryOut(BaseModel):
    id: str
    call_id: str | None
    event: str
    url: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: str | None
    created_at: str
    delivered_at: str | None
    attempt_log: list[DeliveryAttemptOut]


class MetricStats(BaseModel):
    count: int
    mean: float | None
    median: float | None


class WeekOut(BaseModel):
    week: str = Field(examples=["2026-W47"])
    calls: int
    metrics: dict[str, MetricStats]


class TrendsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "rep": "rep-17", "team": None, "from": None, "to": None,
        "metrics": ["score", "talk_ratio"],
        "weeks": [{"week": "2026-W47", "calls": 4,
                   "metrics": {"score": {"count": 4, "mean": 68.2, "median": 70.0},
                               "talk_ratio": {"count": 4, "mean": 0.61, "median": 0.6}}}]}]})

    rep: str | None = None
    team: str | None = None
    from_: str | None = Field(None, alias="from")
    to: str | None = None
    metrics: list[str]
    weeks: list[WeekOut]


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    database: str
    mode: Literal["embedded", "celery"]
    version: str


# -- the error answers each route can give, for the OpenAPI document -----------------

# FastAPI's `responses=`: status code -> OpenAPI response object.
Responses = dict[int | str, dict[str, Any]]


def _err(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


ERR_400: Responses = {400: _err("a malformed parameter (a date, a week, a format, a channel map)")}
ERR_401: Responses = {401: _err("missing, unknown or revoked API key")}
ERR_404: Responses = {404: _err("no such call (or webhook) for this tenant")}
ERR_413: Responses = {413: _err("the body is over its size limit (the upload limit, or 64 KB for anything else)")}
ERR_422: Responses = {422: _err("a parameter is out of range, too long, or holds control characters")}
ERR_503: Responses = {503: {**_err("the database or the recordings store cannot take the request right now; "
                                 "retry after the Retry-After header's seconds"),
                          "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}}}
# What any route behind a key can answer besides its own errors.
AUTHED: Responses = {**ERR_401, **ERR_422, **ERR_503}

CALL_ID_PATTERN = r"^call_[0-9a-f]{24}$"


class Readiness(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "not_ready", "checks": {"database": "ok", "storage": "error: PermissionError: [Errno 13] ...",
                                           "tmp": "ok"}}]})

    status: Literal["ready", "not_ready"]
    checks: dict[str, str] = Field(description="database, storage, tmp: `ok` or `error: ...`")


class VoiceprintOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "rep": "sam", "model": "campplus-cn-en-common-192", "bands": ["wide", "phone"], "stale": False, "note": None,
        "samples": 4, "calls": 3, "speech_s": 212.4,
        "enrolled": True, "consent_at": "2026-11-18T09:00:00Z", "created_at": "2026-11-18T09:00:00Z",
        "updated_at": "2026-11-20T15:12:40Z"}]})

    rep: str
    model: str = Field(description="the speaker encoder the embedding comes from")
    bands: list[str] = Field(description="the bands it holds an embedding for: wide (as recorded) and phone (through "
                                         "a telephone line); a call is compared in its own band")
    stale: bool = Field(description="made with another encoder than the one calls are compared with: not used until "
                                    "the rep's next channel-mapped call or a new enrollment replaces it")
    note: str | None = Field(description="why a stale voiceprint is not used and what replaces it")
    samples: int = Field(description="enrollment clips and calls in the running mean")
    calls: int = Field(description="channel-mapped calls of the rep it was learned from")
    speech_s: float = Field(description="seconds of the rep's speech it was made from")
    enrolled: bool = Field(description="an enrollment clip was given, with the rep's consent")
    consent_at: str | None = Field(description="when consent was given with the enrollment clip")
    created_at: str
    updated_at: str


class TrackerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"phrases": ["Gong", "Chorus", "Clari"]}]})

    phrases: list[str] = Field(description="words or phrases to listen for (case and punctuation ignored; a phrase of "
                                           "several words matches them in a row); at most 200, each at most 200 "
                                           "characters", min_length=1, max_length=200)


class TrackerOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "competitors", "phrases": ["Gong", "Chorus", "Clari"], "created_at": "2026-11-18T09:00:00Z",
        "updated_at": "2026-11-20T15:12:40Z"}]})

    name: str = Field(description="the tracker's name, as moments and trends show it")
    phrases: list[str]
    created_at: str
    updated_at: str


class RepErasureOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "rep": "sam", "calls": 42, "scorecards": 41, "recordings": 40, "jobs": 1, "webhook_deliveries": 41,
        "voiceprints": 1, "users": 1}]})

    rep: str
    calls: int = Field(description="calls deleted (rows, transcripts, results)")
    scorecards: int = Field(description="stored results (scorecard, transcript) deleted with them")
    recordings: int = Field(description="stored recordings deleted from the recordings store")
    jobs: int = Field(description="analyses and webhook sends not yet run, cancelled")
    webhook_deliveries: int = Field(description="webhook deliveries of those calls deleted (queued ones are never sent)")
    voiceprints: int = Field(description="voiceprints deleted (0 or 1)")
    users: int = Field(description="sign-in accounts of role rep filed under the name, deleted (their sessions end)")
