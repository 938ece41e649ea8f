"""The one Settings object (environment prefix ``LINGTAN_``); build it once and pass it down."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lingtan.errors import InvalidInput

#: The development secret. Refused outside ``environment=development``.
DEVELOPMENT_SECRET = "lingtan-development-only-secret"  # noqa: S105 - the point is to refuse it


class Settings(BaseSettings):
    """Process-wide settings, read from ``LINGTAN_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="LINGTAN_", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("var")
    database_url: str = ""
    #: readings stamped further than this into the future are rejected [s]
    future_skew_s: float = Field(default=300.0, ge=0)
    #: the park's time zone when a park file does not name one
    timezone: str = "Asia/Shanghai"

    secret_key: str = DEVELOPMENT_SECRET
    access_token_minutes: int = Field(default=15, gt=0)
    refresh_token_days: int = Field(default=7, gt=0)
    #: failed logins in a row that lock an account, and for how long [min]
    lockout_threshold: int = Field(default=5, gt=0)
    lockout_minutes: int = Field(default=15, gt=0)
    #: jobs (reports, recomputations) one caller may have queued or running at once
    max_open_jobs: int = Field(default=4, gt=0)
    #: database connections one process keeps at most (``lingtan serve --workers N`` gives
    #: each worker its share of 80, under PostgreSQL's default max_connections of 100)
    db_connections: int = Field(default=25, ge=2, le=200)
    cors_origins: list[str] = Field(default_factory=list)
    #: the background normaliser of ``serve`` starts a run at most this often after ingest
    #: (a burst of small batches gives one run) [s]
    normalise_min_interval_s: float = Field(default=2.0, ge=0)
    #: ... unless this many readings were ingested since its last run
    normalise_pending_readings: int = Field(default=50_000, gt=0)
    #: how often it looks for readings other processes (collectors, the CLI) ingested [s]
    normalise_interval_s: float = Field(default=10.0, gt=0)
    #: ``serve`` runs its normaliser in a process of its own (the serving process keeps the
    #: interpreter lock for requests; docs/performance.md); off: a thread of the service.
    #: A store handed to ``create_app`` (tests) or in memory always uses the thread
    normalise_process: bool = True
    #: ``lingtan collect`` normalises what it commits itself, coalesced like ``serve`` (the
    #: settings above), from the rows it holds instead of reading them back
    collector_normalises: bool = True
    #: seconds between the alarm scheduler's runs (freshness, hourly rules, budgets,
    #: escalation) in ``serve``
    alarm_tick_s: float = Field(default=30.0, gt=0)
    #: ``serve`` writes each dispatch step's setpoints to the devices the microgrid declarations
    #: control, at the step's start (docs/dispatch.md); off unless set: writing to a plant is
    #: the operator's decision
    dispatch_apply: bool = False
    #: ``serve`` writes each public-lighting zone's level to its controlled circuits when the
    #: astronomical schedule changes it (docs/equipment.md); off unless set, like dispatch
    lighting_apply: bool = False
    #: the longest wait between two runs of the lighting applier [s]: a level that did not go
    #: through is written again after it
    lighting_recheck_s: float = Field(default=900.0, ge=10, le=86_400)
    #: alarm notifications (docs/alarms-notifications.md): a webhook or SMTP attempt gives up
    #: after this long [s] — a hanging receiver delays only its own delivery
    notify_timeout_s: float = Field(default=5.0, gt=0, le=60)
    #: the wait after the first failed attempt, doubling after each further one [s] …
    notify_backoff_s: float = Field(default=10.0, gt=0)
    #: … up to this [s]
    notify_backoff_max_s: float = Field(default=3600.0, gt=0)
    #: attempts before a delivery is marked failed (it can be retried by hand)
    notify_max_attempts: int = Field(default=8, ge=1, le=100)
    #: how often the delivery worker looks for due deliveries without being woken [s]
    notify_poll_s: float = Field(default=5.0, gt=0)
    #: deliveries one worker claims at once, and sends in parallel
    notify_batch: int = Field(default=8, ge=1, le=100)
    #: a claimed delivery not finished within this is claimed again (a worker that died) [s]
    notify_lease_s: float = Field(default=60.0, gt=0)
    #: ``region``: this instance is a regional platform that registers parks and receives
    #: their uploads (docs/region.md); ``park`` (default): a park instance
    mode: Literal["park", "region"] = "park"
    #: a region upload of a month is late when received more than this many days after the
    #: month's end (lingtan's assumption; no public rule of a province was found)
    region_deadline_days: float = Field(default=15.0, ge=0, le=366)
    #: SMTP relay of e-mail notifications (no host: e-mail deliveries fail and are retried)
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "lingtan@localhost"
    smtp_starttls: bool = False
    #: largest attachment of an incident (应急事件附件) [bytes]
    incident_attachment_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0, le=1024**3)
    #: the MQTT broker dispatch setpoints are published to (no host: publishing answers 503)
    dispatch_mqtt_host: str = ""
    dispatch_mqtt_port: int = Field(default=1883, ge=1, le=65535)
    dispatch_mqtt_username: str = ""
    dispatch_mqtt_password: str = ""
    #: the Dask scheduler region-wide recomputations run on (``tcp://host:8786``); unset: a
    #: local cluster of worker processes on this machine (docs/scaling.md)
    dask_scheduler: str | None = None
    #: worker processes of that local cluster (one thread each: the tasks hold the GIL)
    dask_local_workers: int = Field(default=2, ge=1, le=256)

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'lingtan.db'}"
        return self

    def check_production(self) -> None:
        """Refuse to run a service outside development with the default secret."""
        if self.environment == "production" and (
            self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32
        ):
            raise InvalidInput(
                "LINGTAN_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production",
                field="secret_key",
            )

    def check_serving(self, host: str) -> None:
        """Refuse to listen beyond this machine with the development secret.

        Anyone who knows the published development secret can sign tokens for any user, so it
        is accepted only on a loopback address, in any environment.
        """
        self.check_production()
        if self.secret_key == DEVELOPMENT_SECRET and not is_loopback(host):
            raise InvalidInput(
                f"LINGTAN_SECRET_KEY is the published development secret; set it to a random "
                f"value of at least 32 characters before listening on {host} (the development "
                "secret is accepted only on 127.0.0.1, ::1 or localhost)",
                field="secret_key",
            )

    @property
    def uses_development_secret(self) -> bool:
        """True while tokens are signed with the published development secret."""
        return self.secret_key == DEVELOPMENT_SECRET


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (``0.0.0.0`` and names are not)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides (tests, CLI options)."""
    return Settings(**overrides)  # type: ignore[arg-type]
