"""The ``[service]`` section of the settings tree (``listenlens.config``).

Read it with ``load_settings().service``: every field is also an environment variable,
``LISTENLENS_SERVICE__HOME`` or its short name ``LISTENLENS_HOME``.

The defaults are the embedded setup: SQLite, recordings and temp files under
``LISTENLENS_HOME`` and an in-process worker. Setting ``LISTENLENS_DATABASE_URL`` (to
PostgreSQL) and ``LISTENLENS_BROKER_URL`` (to Redis) switches to the scale-out setup
with Celery workers; ``LISTENLENS_STORAGE_URL`` may name any fsspec location
(``s3://bucket/recordings``, ``gcs://...``) reachable by the API and every worker.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class ServiceSettings(BaseModel):
    """The API, its workers, storage and webhook delivery."""

    model_config = ConfigDict(extra="forbid")

    home: Path = Field(Path("~/.listenlens"), description="folder holding everything the embedded setup stores")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default sqlite under home")
    broker_url: str | None = Field(None, description="Celery broker (redis://...); unset: in-process worker")
    storage_url: str | None = Field(None, description="folder or fsspec URL for recordings; default home/recordings")
    celery_queue: str = Field("listenlens", description="Celery queue the API sends jobs to")

    max_upload_mb: float = Field(500.0, gt=0, description="larger uploads answer 413")
    db_busy_timeout_s: float = Field(
        30.0, gt=0, description="SQLite: how long a write waits for another writer before the request answers 503"
    )
    stale_upload_s: float = Field(
        3600.0, gt=0, description="temp folders of uploads older than this (left by a crash) are removed"
    )
    # The duration limit is audio.max_duration_s (LISTENLENS_MAX_DURATION_S), shared
    # with the CLI so both refuse the same recordings.

    retention_days: float | None = Field(None, description="delete recordings this many days after upload; metrics stay")
    housekeeping_interval_s: float = Field(30.0, description="how often expired leases, due jobs and retention are checked")

    worker_threads: int = Field(1, ge=0, description="in-process analysis threads (0: API only, no analysis)")
    job_lease_s: float = Field(60.0, gt=0, description="a job whose worker stops heartbeating this long is taken over")
    job_max_attempts: int = Field(3, ge=1, description="a job interrupted this many times is failed")
    poll_interval_s: float = Field(1.0, gt=0, description="how often an idle worker looks for queued jobs")

    webhook_max_attempts: int = Field(6, ge=1, description="deliveries of one event tried before giving up")
    webhook_backoff_s: float = Field(10.0, gt=0, description="first retry delay; doubles each attempt")
    webhook_timeout_s: float = Field(10.0, gt=0, description="one attempt gives up after this long")
    webhook_threads: int = Field(
        4, ge=1, description="in-process delivery threads; a slow receiver holds at most one of them"
    )
    webhook_allow_http: bool = Field(False, description="also accept plain http:// webhook URLs (https only by default)")
    webhook_allow_networks: list[str] = Field(
        default_factory=list,
        description="CIDRs or addresses of self-hosted receivers that may be private or loopback "
        "(refused by default); an allowed address may also use http",
    )

    voiceprints_from_calls: bool = Field(
        True, description="learn a rep's voiceprint from their channel of channel-mapped calls that name the rep"
    )
    voiceprint_max_samples: int = Field(
        50, ge=1, description="the running mean of a voiceprint weighs its history as at most this many calls or clips"
    )

    session_hours: float = Field(12.0, gt=0, description="a page session ends this long after signing in")
    login_max_failures: int = Field(
        5, ge=1, description="wrong passwords in a row after which an account refuses sign-in for login_lockout_s"
    )
    login_lockout_s: float = Field(300.0, ge=0, description="how long an account refuses sign-in after too many failures")
    trust_proxy: bool = Field(
        False, description="believe X-Forwarded-Proto/-Host (set only behind a reverse proxy that sets them)"
    )

    def egress_policy(self):
        """Where webhooks may be sent (``domain/egress.py``)."""
        from listenlens.service.domain.egress import EgressPolicy

        return EgressPolicy(allow_http=self.webhook_allow_http, allow_networks=tuple(self.webhook_allow_networks))

    def resolved_home(self) -> Path:
        return Path(self.home).expanduser().resolve()

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_home() / 'listenlens.db'}"

    def resolved_storage_url(self) -> str:
        return self.storage_url or str(self.resolved_home() / "recordings")

    @property
    def embedded(self) -> bool:
        """True when jobs run in the API process (no broker configured)."""
        return not self.broker_url

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)
