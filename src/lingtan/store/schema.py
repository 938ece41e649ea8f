"""SQLAlchemy Core schema: the one description of every table.

Instants are ``BIGINT`` epoch microseconds UTC (see :mod:`lingtan.timeutil`); local days are
integers counting days since 1970-01-01 in the park's time zone. High-volume tables
(readings, hourly statistics) are keyed by point; a point carries its tenant key
(``enterprise_id``) and repositories join through it to scope every query that serves a user.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

#: autoincrementing 64-bit id that is SQLite's rowid alias on SQLite
Id = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

park = Table(
    "park",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("province", String(32), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

enterprise = Table(
    "enterprise",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("uscc", String(18)),
    Column("industry", String(8)),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("park_id", "code"),
)

site = Table(
    "site",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("code", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("floor_area_m2", Float),
    Column("use", String(64)),
    Column("updated_at", BigInteger, nullable=False),
    # energy-performance labels (migration 0039): GB/T 51350-2019 class, GB/T 50378-2019
    # grade, each with its certificate number and ISO date
    Column("energy_label", String(24)),
    Column("energy_label_certificate", String(64)),
    Column("energy_label_date", String(10)),
    Column("green_building_star", String(8)),
    Column("green_building_certificate", String(64)),
    Column("green_building_date", String(10)),
    UniqueConstraint("park_id", "code"),
)

point = Table(
    "point",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("site_id", Id, ForeignKey("site.id")),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("carrier", String(32), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("unit", String(16), nullable=False),
    Column("level", SmallInteger),
    Column("parent_id", Id, ForeignKey("point.id")),
    Column("multiplier", Float, nullable=False),
    Column("register_max", Float),
    Column("max_rate", Float),
    Column("interval_s", Integer, nullable=False),
    Column("formula", Text),
    Column("boundary", Boolean, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("tags", Text),  # JSON list of the point's tags, sorted; NULL: none (migration 0015)
    # a direct-supply line's generation meter (its code); NULL: none declared (migration 0030)
    Column("generation_point", String(64)),
    Index("ix_point_enterprise", "enterprise_id"),
)

#: raw readings, append-only; idempotent on (point_id, ts). Range-partitioned by month on
#: PostgreSQL (created in the migration with dialect DDL), WITHOUT ROWID on SQLite.
reading = Table(
    "reading",
    metadata,
    Column("point_id", Id, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("value", Float, nullable=False),
    PrimaryKeyConstraint("point_id", "ts"),
    sqlite_with_rowid=False,
)

#: documented meter replacements (换表) of register points: readings before ``at`` are the old
#: meter's, readings at or after it the new meter's; the old register counted up to
#: ``old_final``, the new one from ``new_initial`` (raw register units). Appended, never edited.
meter_replacement = Table(
    "meter_replacement",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("point_id", Id, ForeignKey("point.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),  # tenant key; NULL for the park
    Column("at", BigInteger, nullable=False),
    Column("old_final", Float, nullable=False),
    Column("new_initial", Float, nullable=False),
    Column("multiplier", Float),  # the new meter's ratio; NULL keeps the one in force
    Column("note", Text),
    Column("source", Text, nullable=False),  # park file, api, cli, a CSV file and line …
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", BigInteger, nullable=False),
    UniqueConstraint("point_id", "at"),
    Index("ix_meter_replacement_enterprise", "enterprise_id"),
)

ingest_batch = Table(
    "ingest_batch",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", Text, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Column("accepted", Integer, nullable=False),
    Column("duplicates", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
)

#: the dirty-interval queue: one row per committed batch (or repair) with the time range per
#: point it touched, as JSON ``[[point_id, min_ts, max_ts], ...]``; deleted once normalised
dirty_range = Table(
    "dirty_range",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("created_at", BigInteger, nullable=False),
    Column("ranges", Text, nullable=False),
)

rejected_reading = Table(
    "rejected_reading",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("batch_id", Id),
    Column("received_at", BigInteger, nullable=False),
    Column("point_code", Text),
    Column("point_id", Id),
    Column("ts_text", Text),
    Column("ts", BigInteger),
    Column("value_text", Text),
    Column("unit", Text),
    Column("reason", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("raw", Text),
    Index("ix_rejected_point", "point_id"),
    Index("ix_rejected_received", "received_at"),
)


def _stat_cols() -> list[Column[Any]]:
    """Columns shared by the statistics tables (fresh objects for each table)."""
    return [
        Column("value", Float),  # consumption in the period [point unit]; NULL if nothing known
        Column("mean", Float),  # measurements: mean of the samples
        Column("min", Float),
        Column("max", Float),
        Column("measured_s", Float, nullable=False),  # seconds covered by measured intervals
        Column("estimated_s", Float, nullable=False),  # … by estimated intervals (gaps, spikes)
        Column("missing_s", Float, nullable=False),  # … with no information
        Column("flags", Integer, nullable=False),  # bit set of normalize.quality.Flag
        Column("n", Integer, nullable=False),  # trusted readings in the period
    ]


stat_hour = Table(
    "stat_hour",
    metadata,
    Column("point_id", Id, nullable=False),
    Column("hour", BigInteger, nullable=False),
    *_stat_cols(),
    Column("computed_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("point_id", "hour"),
    sqlite_with_rowid=False,
)

#: previous versions of hourly statistics, appended whenever a recomputation changes a row
stat_hour_history = Table(
    "stat_hour_history",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("point_id", Id, nullable=False),
    Column("hour", BigInteger, nullable=False),
    *_stat_cols(),
    Column("computed_at", BigInteger, nullable=False),
    Column("replaced_at", BigInteger, nullable=False),
    Index("ix_stat_hour_history_point_hour", "point_id", "hour"),
)

stat_day = Table(
    "stat_day",
    metadata,
    Column("point_id", Id, nullable=False),
    Column("day", Integer, nullable=False),  # local days since 1970-01-01
    *_stat_cols(),
    Column("computed_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("point_id", "day"),
    sqlite_with_rowid=False,
)

#: per register point, where its normalised readings end (``lingtan.normalize.incremental``):
#: the last reading, and the sums so far of the hour it lies in. A point without a row goes
#: through the exact recompute path, which writes one when the end of its data is settled.
norm_state = Table(
    "norm_state",
    metadata,
    Column("point_id", Id, nullable=False),
    Column("last_ts", BigInteger, nullable=False),
    Column("last_value", Float, nullable=False),  # raw register value of the last reading
    Column("hour", BigInteger, nullable=False),  # the hour holding last_ts
    Column("value", Float, nullable=False),  # energy of the hour up to last_ts (0 if none)
    Column("measured_s", Float, nullable=False),
    Column("estimated_s", Float, nullable=False),
    Column("flags", Integer, nullable=False),
    Column("n", Integer, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("point_id"),
)

#: hourly consumption of boundary points summed per owner × carrier, kept as data arrives
#: (accounting multiplies these by hourly factors: aggregate first, then multiply)
stat_hour_carrier = Table(
    "stat_hour_carrier",
    metadata,
    Column("park_id", Id, nullable=False),
    Column("enterprise_key", BigInteger, nullable=False),  # enterprise id, 0 for the park
    Column("carrier", String(32), nullable=False),
    Column("unit", String(16), nullable=False),
    Column("hour", BigInteger, nullable=False),
    Column("value", Float),
    Column("measured_s", Float, nullable=False),
    Column("estimated_s", Float, nullable=False),
    Column("missing_s", Float, nullable=False),
    Column("points", Integer, nullable=False),
    PrimaryKeyConstraint("park_id", "enterprise_key", "carrier", "unit", "hour"),
    sqlite_with_rowid=False,
)

#: statistics per point and park-local calendar month, kept from ``stat_day`` in the same
#: transaction as the days they sum (a period of whole months reads 12 rows a year, not 365)
stat_month = Table(
    "stat_month",
    metadata,
    Column("point_id", Id, nullable=False),
    Column("first_day", Integer, nullable=False),  # local day number of the month's 1st
    Column("end_day", Integer, nullable=False),  # local day number of the next month's 1st
    *_stat_cols(),
    Column("days", Integer, nullable=False),  # daily rows summed
    Column("computed_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("point_id", "first_day"),
    sqlite_with_rowid=False,
)

#: the owner × carrier hourly sums (``stat_hour_carrier``) summed per park-local calendar month,
#: kept in the same transaction as the hours they sum; the bounds are the UTC instants of the
#: local month's start and end, so a reader of [h0, h1) takes the whole months inside it here
stat_month_carrier = Table(
    "stat_month_carrier",
    metadata,
    Column("park_id", Id, nullable=False),
    Column("enterprise_key", BigInteger, nullable=False),  # enterprise id, 0 for the park
    Column("carrier", String(32), nullable=False),
    Column("unit", String(16), nullable=False),
    Column("month_start", BigInteger, nullable=False),  # epoch µs of local midnight on the 1st
    Column("month_end", BigInteger, nullable=False),  # … on the 1st of the next month
    Column("value", Float),
    Column("measured_s", Float, nullable=False),
    Column("estimated_s", Float, nullable=False),
    Column("missing_s", Float, nullable=False),
    Column("hours", Integer, nullable=False),  # hourly rollup rows summed
    # those rows' hour starts (int8) and values (float8, unknown = 0), big-endian, in hour
    # order (migration 0011 says why)
    Column("hour_starts", LargeBinary),
    Column("hour_values", LargeBinary),
    PrimaryKeyConstraint("park_id", "enterprise_key", "carrier", "unit", "month_start"),
    sqlite_with_rowid=False,
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", BigInteger, nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", String(64), nullable=False),
    Column("entity", String(64), nullable=False),
    Column("entity_id", Text),
    Column("enterprise_id", Id),
    Column("before", Text),
    Column("after", Text),
    Index("ix_audit_at", "at"),
)

# -- identity and access (API) ---------------------------------------------------------------

app_user = Table(
    "app_user",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),  # argon2id
    Column("role", String(32), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),  # enterprise roles only
    Column("display_name", Text),
    Column("lang", String(8), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("failed_logins", Integer, nullable=False),
    Column("locked_until", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("last_failed_at", BigInteger),  # failures older than the lockout window are forgotten
    # raised when the password, role or binding changes: access tokens carry the version they
    # were issued under and older ones are refused
    Column("token_version", Integer, nullable=False, server_default="0"),
)

api_key = Table(
    "api_key",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("prefix", String(32), nullable=False, unique=True),  # public part, shown in lists
    Column("secret_hash", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("role", String(32), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("points", Text),  # JSON list of point codes an ingest key may write; NULL = scope's
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
    Column("last_used_at", BigInteger),
    Column("expires_at", BigInteger),  # NULL = until revoked
)

#: failed logins of names without a usable account (unknown or deactivated): counted and locked
#: like a user's, so that the answers never tell whether a username exists
login_failure = Table(
    "login_failure",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("failed", Integer, nullable=False),
    Column("locked_until", BigInteger),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_login_failure_updated_at", "updated_at"),
)

refresh_token = Table(
    "refresh_token",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("token_hash", String(128), nullable=False, unique=True),  # SHA-256 of the token
    Column("user_id", Id, ForeignKey("app_user.id"), nullable=False),
    Column("issued_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
    # the user's token version when issued: a token ended by a version change is refused even
    # when it was written after the change (a login or rotation racing it)
    Column("token_version", Integer, nullable=False, server_default="0"),
)

job = Table(
    "job",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # queued | running | done | failed
    Column("params", Text, nullable=False),
    Column("result", Text),
    Column("error", Text),
    Column("created_by", Text, nullable=False),
    Column("enterprise_id", Id),  # the scope the job runs in (None = park)
    Column("created_at", BigInteger, nullable=False),
    Column("started_at", BigInteger),
    Column("finished_at", BigInteger),
    # renewed while a process runs the job: a running job whose heartbeat stopped was left by
    # a process that died (its siblings under `serve --workers` keep theirs beating)
    Column("heartbeat_at", BigInteger),
)

# -- non-metered statistics (waste, waste heat, water, product output …) ----------------------

#: statistics entered by people or imported from files; a correction is a new row that
#: names the row it supersedes, so history is kept
stat_record = Table(
    "stat_record",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("category", String(48), nullable=False),
    Column("item", Text, nullable=False),
    Column("period_start", String(10), nullable=False),  # ISO date, local
    Column("period_end", String(10), nullable=False),  # ISO date, inclusive
    Column("quantity", Float, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("source_document", Text, nullable=False),
    Column("entered_by", Text, nullable=False),
    Column("entered_at", BigInteger, nullable=False),
    Column("supersedes_id", Id, ForeignKey("stat_record.id")),
    Column("note", Text),
    Index("ix_stat_record_scope", "park_id", "enterprise_id", "category"),
)

# -- grid factor series (hourly dynamic factors, imported with provenance) --------------------

#: hourly grid-factor series imported from a published file (e.g. a provincial grid's dynamic
#: factors): the whole :class:`lingtan.carbon.factors.FactorSeries` as JSON, with its
#: provenance; appended, never edited (a revision is a new series id)
#: hourly grid-factor series imported by a park (its tenant key is ``park_id``): one park's
#: administrators never change another park's factors
grid_factor_series = Table(
    "grid_factor_series",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("series_id", String(128), nullable=False),
    Column("region", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("basis", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("imported_at", BigInteger, nullable=False),
    Column("imported_by", Text, nullable=False),
    UniqueConstraint("park_id", "series_id", name="uq_grid_factor_series_park_series"),
    Index("ix_grid_factor_series_park_region_year", "park_id", "region", "year"),
)


#: a stored hourly green-power matching of one park-local year (the park's, tenant key
#: ``park_id``): its method, the versions (digests) of its inputs, the monthly report of the
#: whole park and the hourly arrays (compressed ``.npz``). Appended; a recompute with the same
#: method marks the run it replaces ``superseded`` (history kept, never edited otherwise)
matching_run = Table(
    "matching_run",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("rule", String(16), nullable=False),  # pro_rata | priority
    Column("priority", Text),  # JSON list of consumer codes (rule priority), NULL otherwise
    Column("storage_efficiency", Float),  # given; NULL: measured
    Column("method_version", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # current | superseded
    Column("superseded_by", Id),
    Column("superseded_at", BigInteger),
    Column("inputs", Text, nullable=False),  # JSON: the inputs' versions
    Column("summary", Text, nullable=False),  # JSON: the park-wide monthly report
    Column("hourly", LargeBinary, nullable=False),  # npz: per consumer and hour
    Column("note", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_matching_run_park_id", "park_id", "year"),
)

# -- region-wide recomputations (lingtan.region.tasks) -------------------------------------------

#: one result of a region-wide recomputation (restatement, forecast retraining, dispatch replay)
#: per kind, park (code: the region's parks need not be rows of ``park``), period and input
#: fingerprint; written once (an upsert that finds the key writes nothing), never edited
region_compute_result = Table(
    "region_compute_result",
    metadata,
    Column("kind", String(16), primary_key=True),  # restate | forecast | replay
    Column("park", String(64), primary_key=True),
    Column("period", String(96), primary_key=True),
    Column("fingerprint", String(64), primary_key=True),  # sha256 of the inputs, hex
    Column("result", Text, nullable=False),  # JSON
    Column("computed_at", BigInteger, nullable=False),
    Index("ix_region_compute_result_park", "park", "kind", "period"),
)


# -- green certificates (绿证) ledger -----------------------------------------------------------

gec_certificate = Table(
    "gec_certificate",
    metadata,
    Column("cert_id", String(32), primary_key=True),
    Column("project", Text, nullable=False),
    Column("production_month", String(7), nullable=False),  # YYYY-MM
    Column("tradable", Boolean, nullable=False),
    Column("imported_at", BigInteger, nullable=False),
    Column("imported_by", Text, nullable=False),
)

#: one row per retired certificate: the primary key makes a second retirement impossible
gec_retirement = Table(
    "gec_retirement",
    metadata,
    Column("cert_id", String(32), ForeignKey("gec_certificate.cert_id"), primary_key=True),
    Column("claimant", String(64), nullable=False),
    Column("level", String(16), nullable=False),  # park | enterprise
    Column("park", String(64), nullable=False),
    Column("period_start", String(7), nullable=False),
    Column("period_end", String(7), nullable=False),
    Column("retired_on", String(10), nullable=False),
    Column("settlement_id", String(64)),
    Column("recorded_at", BigInteger, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Index("ix_gec_retirement_claimant", "claimant"),
)

green_trade = Table(
    "green_trade",
    metadata,
    Column("settlement_id", String(64), primary_key=True),
    Column("buyer", String(64), nullable=False),
    Column("level", String(16), nullable=False),
    Column("park", String(64), nullable=False),
    Column("month", String(7), nullable=False),
    Column("kwh", Float, nullable=False),
    Column("seller_project", Text, nullable=False),
    Column("cert_ids", Text, nullable=False),  # JSON list
    Column("recorded_at", BigInteger, nullable=False),
    Column("recorded_by", Text, nullable=False),
    # settled price [元/kWh]; null when the settlement was recorded without one
    Column("price", Float),
)

# -- accounting results, kept so that a restatement leaves the old result retrievable ---------

inventory_result = Table(
    "inventory_result",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("basis", String(16), nullable=False),  # park | enterprise | building
    Column("boundary", String(64), nullable=False),  # park, enterprise or site code
    Column("year", Integer, nullable=False),
    Column("month", Integer),  # NULL for a whole year
    Column("enterprise_id", Id),  # tenant key (NULL for the park and park buildings)
    Column("computed_at", BigInteger, nullable=False),
    Column("computed_by", Text, nullable=False),
    Column("options", Text, nullable=False),  # JSON
    Column("factor_ids", Text, nullable=False),  # JSON list
    Column("result", Text, nullable=False),  # JSON of the inventory
    Index("ix_inventory_result_boundary", "basis", "boundary", "year"),
)

# -- the park's options: numbered versions, appended, never edited -----------------------------

#: one version of a park's options (:class:`lingtan.options.model.ParkOptions` as JSON); the
#: newest version is the park's setting, older ones stay so that results name what they used
park_options = Table(
    "park_options",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("options", Text, nullable=False),  # JSON: every option's value
    Column("changed_at", BigInteger, nullable=False),
    Column("changed_by", Text, nullable=False),
    Column("reason", Text),
    UniqueConstraint("park_id", "version", name="uq_park_options_park_id_version"),
)

# -- API: files produced by background jobs (report downloads) -------------------------------

#: the bytes a finished job produced (a report), kept with the job so that any server process
#: can hand it out; the job's scope (``job.enterprise_id``) governs who may download it
job_file = Table(
    "job_file",
    metadata,
    Column("job_id", String(36), ForeignKey("job.id"), primary_key=True),
    Column("filename", Text, nullable=False),
    Column("media_type", String(128), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

Index("ix_job_created_at", job.c.created_at)
Index("ix_refresh_token_user", refresh_token.c.user_id)

# -- accounting (migration 0005) ----------------------------------------------------------------

#: who holds each imported 绿证 until it is retired: the park (``enterprise_id`` NULL) or one
#: enterprise (the tenant key of a certificate)
gec_holding = Table(
    "gec_holding",
    metadata,
    Column("cert_id", String(32), ForeignKey("gec_certificate.cert_id"), primary_key=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Index("ix_gec_holding_owner", "park_id", "enterprise_id"),
)

#: non-metered activity of a park or an enterprise for a year or a month (an activity document:
#: process output, fuels bought by invoice, offsets ...); appended, never edited — the latest
#: row of a (park, enterprise, year, month) slot applies, earlier ones stay for history
activity_supplement = Table(
    "activity_supplement",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),  # tenant key; NULL for the park
    Column("boundary", String(16), nullable=False),  # park | enterprise
    Column("year", Integer, nullable=False),
    Column("month", Integer),  # NULL for a whole year
    Column("document", Text, nullable=False),  # JSON activity document
    Column("source_document", Text, nullable=False),
    Column("entered_by", Text, nullable=False),
    Column("entered_at", BigInteger, nullable=False),
    Index("ix_activity_supplement_slot", "park_id", "enterprise_id", "year"),
)

Index("ix_inventory_result_enterprise", inventory_result.c.enterprise_id, inventory_result.c.year)

# -- alarms (lingtan.alarms) -------------------------------------------------------------------

#: alarm rules (declarative records; ``spec`` is the whole rule as JSON, lingtan.alarms.rules)
alarm_rule = Table(
    "alarm_rule",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("spec", Text, nullable=False),
    # the enterprise a rule belongs to when an enterprise wrote it (its scope is then bound to
    # that enterprise's points); NULL: a park rule
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("source", Text, nullable=False),  # park file, api:<actor>, cli
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("deleted_at", BigInteger),  # rules are retired, never deleted: alarms name them
    UniqueConstraint("park_id", "code"),
)

#: alarms: one row per episode of a rule × subject; ``open_key`` ("rule:subject") is set while
#: the alarm holds the de-duplication key (open, acknowledged, cleared within the settle time)
#: and NULL once closed, so at most one alarm per rule and subject holds it
alarm = Table(
    "alarm",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("rule_id", Id, ForeignKey("alarm_rule.id"), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("open_key", String(64), unique=True),
    Column("subject_kind", String(16), nullable=False),
    Column("subject_key", BigInteger, nullable=False),
    Column("subject_code", String(64), nullable=False),
    Column("point_id", Id),
    Column("enterprise_id", Id),  # tenant key; NULL: the park's
    Column("first_at", BigInteger, nullable=False),  # the condition began (data time)
    Column("last_at", BigInteger, nullable=False),  # last seen (data time)
    Column("raised_at", BigInteger, nullable=False),  # stored (wall clock)
    Column("count", Integer, nullable=False),
    Column("value", Float),
    Column("peak", Float),
    Column("message", Text, nullable=False),
    Column("evidence", Text, nullable=False),  # JSON
    Column("acked_by", Text),
    Column("acked_at", BigInteger),
    Column("ack_comment", Text),
    Column("cleared_at", BigInteger),
    Column("closed_by", Text),
    Column("closed_at", BigInteger),
    Column("escalated_at", BigInteger),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_alarm_park_state", "park_id", "state"),
    Index("ix_alarm_enterprise", "enterprise_id"),
    Index("ix_alarm_rule_subject", "rule_id", "subject_key"),
)

#: every transition of an alarm, appended (its audit trail)
alarm_event = Table(
    "alarm_event",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("alarm_id", Id, ForeignKey("alarm.id"), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", String(24), nullable=False),
    Column("detail", Text),
    Index("ix_alarm_event_alarm", "alarm_id"),
)

#: the evaluation state of a rule × subject (hold, hysteresis, windows, watermarks), JSON
alarm_condition = Table(
    "alarm_condition",
    metadata,
    Column("rule_id", Id, nullable=False),
    Column("subject_key", BigInteger, nullable=False),
    Column("state", Text, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("rule_id", "subject_key"),
)

#: maintenance windows: no alarm is raised for the rule / point / enterprise in [starts, ends)
alarm_suppression = Table(
    "alarm_suppression",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("rule_id", Id),
    Column("point_id", Id),
    Column("enterprise_id", Id),  # tenant key (and scope when no rule or point is named)
    Column("starts", BigInteger, nullable=False),
    Column("ends", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("cancelled_at", BigInteger),
)

# -- alarm notifications (migration 0013) -------------------------------------------------------

#: notification channels (通知渠道): a webhook URL or e-mail recipients; owned by the park
#: (``enterprise_id`` NULL: every alarm of the park) or one enterprise (its alarms only).
#: Deleting a channel marks it (``deleted_at``): its deliveries keep naming it
notify_channel = Table(
    "notify_channel",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),  # tenant key; NULL for the park
    Column("code", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("kind", String(16), nullable=False),  # webhook | email
    Column("target", Text, nullable=False),  # the URL, or a JSON list of addresses
    Column("min_severity", String(16), nullable=False),
    Column("kinds", Text),  # JSON list of alarm kinds; NULL = all
    Column("enabled", Boolean, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("secret", Text),  # webhook HMAC key (shown once at creation)
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("deleted_at", BigInteger),
    Column("topics", Text),  # JSON list of alarm | report | accounting; NULL = alarms only
    Index("ix_notify_channel_owner", "park_id", "enterprise_id"),
    # a code names one live channel per owner (park, or enterprise)
    Index(
        "uq_notify_channel_enterprise_code",
        "park_id",
        "enterprise_id",
        "code",
        unique=True,
        sqlite_where=text("deleted_at IS NULL"),
        postgresql_where=text("deleted_at IS NULL"),
    ),
    Index(
        "uq_notify_channel_park_code",
        "park_id",
        "code",
        unique=True,
        sqlite_where=text("deleted_at IS NULL AND enterprise_id IS NULL"),
        postgresql_where=text("deleted_at IS NULL AND enterprise_id IS NULL"),
    ),
)

#: the transactional outbox of notifications: one row per channel and alarm change, inserted
#: in the transaction of the change; delivery workers claim due rows under a lease
notify_outbox = Table(
    "notify_outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel_id", Id, ForeignKey("notify_channel.id"), nullable=False),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id),  # the channel's owner (tenant key); NULL for the park
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("event", String(32), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("payload", Text, nullable=False),  # the JSON body, exactly as sent
    Column("state", String(16), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("locked_until", BigInteger),  # a worker's lease; expired = free again
    Column("lease", String(36)),  # the holder's claim token
    Column("last_error", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("delivered_at", BigInteger),
    Column("ack", Text),  # the destination's acknowledgement (its answer), when delivered
    # the claim's order, read from the index up to the batch size (migration 0035 added id)
    Index("ix_notify_outbox_due", "state", "next_attempt_at", "id"),
    Index("ix_notify_outbox_owner", "park_id", "enterprise_id"),
    Index("ix_notify_outbox_channel", "channel_id"),
    # the oldest pending row of a channel, for the order of uploads (migration 0035)
    Index("ix_notify_outbox_channel_order", "channel_id", "state", "id"),
)

# -- emergency-event register (migration 0014) ---------------------------------------------------

#: incidents (突发事件) of the register: the current header; the history is ``incident_entry``.
#: ``enterprise_id`` is the tenant key (NULL: the park's own incident)
incident = Table(
    "incident",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("site_id", Id, ForeignKey("site.id")),
    Column("title", Text, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("category", String(64), nullable=False),
    Column("level", String(32)),
    Column("state", String(16), nullable=False),
    Column("occurred_at", BigInteger, nullable=False),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("place", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("responsible", Text, nullable=False),  # JSON list of {name, duty, contact}
    Column("closing_report", Text),
    Column("opened_by", Text, nullable=False),
    Column("opened_at", BigInteger, nullable=False),
    Column("closed_by", Text),
    Column("closed_at", BigInteger),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_incident_owner", "park_id", "enterprise_id"),
)

#: the time line of an incident: appended, never edited (a correction is a new entry naming the
#: one it corrects)
incident_entry = Table(
    "incident_entry",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("incident_id", Id, ForeignKey("incident.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),  # the incident's tenant key
    Column("kind", String(16), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("recorded_at", BigInteger, nullable=False),
    Column("actor", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("data", Text, nullable=False),  # JSON
    Column("corrects_id", Id, ForeignKey("incident_entry.id")),
    Index("ix_incident_entry_incident", "incident_id", "at"),
)

#: attachments: the bytes in the database with their SHA-256; the same content is stored once
#: per incident
incident_attachment = Table(
    "incident_attachment",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("incident_id", Id, ForeignKey("incident.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("name", Text, nullable=False),
    Column("media_type", String(128), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("uploaded_by", Text, nullable=False),
    Column("uploaded_at", BigInteger, nullable=False),
    UniqueConstraint("incident_id", "sha256", name="uq_incident_attachment_incident_id_sha256"),
)

#: alarms linked to an incident with the evidence they carried when linked (a JSON snapshot;
#: no foreign key to ``alarm``: the snapshot stands on its own)
incident_alarm = Table(
    "incident_alarm",
    metadata,
    Column("incident_id", Id, ForeignKey("incident.id"), nullable=False),
    Column("alarm_id", BigInteger, nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("evidence", Text, nullable=False),
    Column("linked_by", Text, nullable=False),
    Column("linked_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("incident_id", "alarm_id", name="pk_incident_alarm"),
)

#: the time-of-use tariff (a record id of ``lingtan.tariffs``) that applies to a park (no
#: enterprise) or to one enterprise, with its 基本电费 basis; appended, never edited — the latest
#: row of a (park, enterprise) slot applies
tariff_assignment = Table(
    "tariff_assignment",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("tariff_id", String(64), nullable=False),
    Column("tariff_version", Integer),
    Column("basic_basis", String(16), nullable=False),
    Column("capacity_kva", Float),
    Column("assigned_by", Text, nullable=False),
    Column("assigned_at", BigInteger, nullable=False),
    #: the first local month (``YYYY-MM``) the assignment applies to
    Column("effective_from", String(7), nullable=False),
    Index("ix_tariff_assignment_owner", "park_id", "enterprise_id"),
)

#: a park's entry of a ``ratios`` tariff record's base price for one local month (the 代理购电
#: or market price and its unfloated part, with the list it was read from); appended, the newest
#: entry of a (park, tariff, month) in force (migration 0037)
tariff_month_price = Table(
    "tariff_month_price",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("tariff_id", String(64), nullable=False),
    Column("month", String(7), nullable=False),
    Column("price", Float, nullable=False),
    Column("fixed", Float, nullable=False),
    Column("source", Text, nullable=False),
    Column("entered_by", Text, nullable=False),
    Column("entered_at", BigInteger, nullable=False),
    Index("ix_tariff_month_price_key", "park_id", "tariff_id", "month"),
)

#: a utility bill (电费账单) of one month, imported as a record: energy per period (JSON
#: period → kWh), the billed maximum demand and the amounts; the tenant key is ``enterprise_id``
utility_bill = Table(
    "utility_bill",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("month", String(7), nullable=False),
    Column("energy_kwh", Text, nullable=False),
    Column("max_demand_kw", Float),
    Column("energy_amount", Float),
    Column("basic_amount", Float),
    Column("total_amount", Float, nullable=False),
    Column("reference", Text, nullable=False),
    Column("imported_by", Text, nullable=False),
    Column("imported_at", BigInteger, nullable=False),
    Index("ix_utility_bill_owner", "park_id", "enterprise_id", "month"),
)

# -- forecasts (lingtan.forecast) --------------------------------------------------------------

#: declared parameters of a PV plant, one per PV metering point (pvlib inputs)
pv_plant = Table(
    "pv_plant",
    metadata,
    Column("point_id", Id, ForeignKey("point.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("kwp", Float, nullable=False),
    Column("tilt_deg", Float, nullable=False),
    Column("azimuth_deg", Float, nullable=False),
    Column("losses_pct", Float, nullable=False),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("altitude_m", Float, nullable=False),
    # temperature coefficient of power [%/°C] (PVWatts γ_pdc, negative); NULL: none declared,
    # no temperature derating (migration 0030)
    Column("temp_coeff_pct", Float),
    Column("source", Text, nullable=False),  # who declared it: park file, api:<actor>, cli
    Column("updated_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("point_id", name="pk_pv_plant"),
)

#: an imported weather series of the park (ambient temperature, GHI) with its provenance
weather_series = Table(
    "weather_series",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("quantity", String(16), nullable=False),  # temperature | ghi
    Column("unit", String(16), nullable=False),
    Column("source", Text, nullable=False),  # station, provider, file name
    Column("sha256", String(64), nullable=False),  # of the last imported file
    Column("imported_by", Text, nullable=False),
    Column("imported_at", BigInteger, nullable=False),
    UniqueConstraint("park_id", "code"),
)

#: hourly values of a weather series (hour start, µs since the epoch)
weather_value = Table(
    "weather_value",
    metadata,
    Column("series_id", Id, ForeignKey("weather_series.id"), nullable=False),
    Column("hour", BigInteger, nullable=False),
    Column("value", Float, nullable=False),
    PrimaryKeyConstraint("series_id", "hour", name="pk_weather_value"),
)

#: one issued forecast of one point: the model, its features, training window and backtest
#: travel with the values; ``status`` says why a forecast has no values
forecast_run = Table(
    "forecast_run",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    # the subject forecast: point | enterprise | park (an owner's hourly balance)
    Column("subject", String(16), nullable=False, server_default="point"),
    Column("subject_code", String(64), nullable=False),  # point, enterprise or park code
    # the point's id for a point subject, NULL for an owner
    Column("point_id", Id, ForeignKey("point.id")),
    # the point's or enterprise's owner; NULL for the park and the park's own points
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    # an owner's carrier: "electricity" (the balance) or one carrier; NULL for a point
    Column("carrier", String(32)),
    Column("horizon", String(16), nullable=False),  # day_ahead | week_ahead
    Column("first_day", String(10), nullable=False),  # local ISO date of the first target day
    Column("days", Integer, nullable=False),
    # slot length [s]: 3600 hourly, 900 a 15-minute forecast of a point (migration 0034)
    Column("step_s", Integer, nullable=False, server_default="3600"),
    Column("status", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("model", String(32), nullable=False),
    Column("model_version", String(32), nullable=False),
    Column("features", Text, nullable=False),  # JSON list
    Column("train_start", String(10)),
    Column("train_end", String(10)),
    Column("backtest", Text, nullable=False),  # JSON (lingtan.forecast.backtest)
    Column("issued_by", Text, nullable=False),
    Column("issued_at", BigInteger, nullable=False),
    Index("ix_forecast_run_point_id", "point_id", "horizon", "first_day"),
    Index("ix_forecast_run_subject", "park_id", "subject", "subject_code", "horizon"),
)

#: P10/P50/P90 of each forecast slot, ``hour`` its start (an hour, or a quarter hour when the
#: run's ``step_s`` is 900); NULL where an input of that slot was missing
forecast_value = Table(
    "forecast_value",
    metadata,
    Column("run_id", Id, ForeignKey("forecast_run.id"), nullable=False),
    Column("hour", BigInteger, nullable=False),
    Column("p10", Float),
    Column("p50", Float),
    Column("p90", Float),
    PrimaryKeyConstraint("run_id", "hour", name="pk_forecast_value"),
)

# -- microgrid dispatch (lingtan.dispatch) ------------------------------------------------------

#: the park's microgrid declaration (lingtan.dispatch.config.MicrogridSpec as JSON)
microgrid_spec = Table(
    "microgrid_spec",
    metadata,
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("spec", Text, nullable=False),  # JSON
    Column("source", Text, nullable=False),  # where the ratings come from (the spec's source)
    Column("updated_by", Text, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("park_id", name="pk_microgrid_spec"),
)

#: a stored dispatch plan: what it was planned from, what it does per step and what it costs
dispatch_plan = Table(
    "dispatch_plan",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("day", String(10), nullable=False),  # local ISO date
    Column("kind", String(16), nullable=False),  # day_ahead | intraday
    Column("from_step", Integer, nullable=False),  # first planned step of the day
    Column("step_minutes", Integer, nullable=False),
    Column("status", String(32), nullable=False),  # optimal | relaxed
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("objective", Text, nullable=False),  # JSON: weights and prices
    Column("inputs", Text, nullable=False),  # JSON: forecasts, tariff, factors, SoC, sessions
    Column("terms", Text, nullable=False),  # JSON: lingtan.dispatch.plan.Terms
    Column("violations", Text, nullable=False),  # JSON list
    Column("steps", Text, nullable=False),  # JSON: per-step arrays
    Column("published_at", BigInteger),
    Column("publish", Text),  # JSON: broker, topics and acknowledgements
    Index("ix_dispatch_plan_day", "park_id", "day", "id"),
)

#: an EV charging session expected on a day (imported; local HH:MM times)
ev_session = Table(
    "ev_session",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("day", String(10), nullable=False),
    Column("code", String(64), nullable=False),
    Column("charger", String(64), nullable=False),
    Column("arrival", String(5), nullable=False),
    Column("departure", String(5), nullable=False),
    Column("energy_kwh", Float, nullable=False),
    Column("max_kw", Float),
    Column("imported_by", Text, nullable=False),
    Column("imported_at", BigInteger, nullable=False),
    UniqueConstraint("park_id", "day", "code", name="uq_ev_session_park_id"),
)

#: a setpoint written to a device for one plan step (lingtan.dispatch.control): the value written
#: and read back, the outcome (ok | mismatch | timeout | unavailable | device_error | refused),
#: ``attempts`` (JSON list of each try with its reason) and the tracking evidence (the step's
#: mean measured power; ok | off | no_data)
dispatch_setpoint = Table(
    "dispatch_setpoint",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("plan_id", Id, ForeignKey("dispatch_plan.id"), nullable=False),
    Column("step", Integer, nullable=False),  # step of the day
    Column("step_start", BigInteger, nullable=False),
    Column("step_end", BigInteger, nullable=False),
    Column("device", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("setpoint_kw", Float, nullable=False),
    Column("written", Float),
    Column("readback", Float),
    Column("status", String(16), nullable=False),
    Column("attempts", Text, nullable=False),
    Column("written_at", BigInteger, nullable=False),
    Column("written_by", Text, nullable=False),
    Column("measured_kw", Float),
    Column("tracking", String(16)),
    Column("tracked_at", BigInteger),
    Index("ix_dispatch_setpoint_park_id", "park_id", "written_at"),
    Index("ix_dispatch_setpoint_plan_id", "plan_id", "step"),
)


# -- environment monitoring (lingtan.environment) ----------------------------------------------

#: a monitoring station or outlet declared in the park file (``environment.stations``); its
#: parameters are metering points ``<code>:<parameter>``; ``spec`` is the station record (JSON)
env_station = Table(
    "env_station",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # air | water | outlet | indoor
    Column("name", Text, nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),  # None: park-level
    Column("mn", String(32), nullable=False),  # HJ 212 data-logger code
    Column("pw", String(32), nullable=False),  # HJ 212 access password
    Column("spec", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("retired_at", BigInteger),  # no longer in the park file (its data stay)
    UniqueConstraint("park_id", "code"),
    Index("ix_env_station_mn", "mn"),
)


# -- hazardous and solid waste (lingtan.waste) --------------------------------------------------

#: a waste stream of an enterprise (one code of the National Hazardous Waste List, one process);
#: ``hazard`` is a JSON list; ``listed``/``edition``: whether the edition that validated the code
#: lists it (a partial edition accepts unlisted codes of known categories)
waste_stream = Table(
    "waste_stream",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("code", String(16), nullable=False),
    Column("category", String(8), nullable=False),
    Column("name", Text, nullable=False),
    Column("form", String(32), nullable=False),
    Column("hazard", Text, nullable=False),
    Column("process", Text, nullable=False),
    Column("listed", Boolean, nullable=False),
    Column("edition", String(16), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("enterprise_id", "name"),
)

#: the management plan (管理计划): expected quantity of a stream in a year; appended, the newest
#: row of a (stream, year) is in force
waste_plan = Table(
    "waste_plan",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("stream_id", Id, ForeignKey("waste_stream.id"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("quantity_t", Float, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_waste_plan_stream_id", "stream_id", "year"),
)

#: a storage facility (贮存设施) with its declared capacity
waste_facility = Table(
    "waste_facility",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("location", Text, nullable=False),
    Column("capacity", Float, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("capacity_t", Float, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("enterprise_id", "code"),
)

#: the ledger (管理台账): append-only movements of batches; a correction names the row it
#: replaces (``corrects_id``)
waste_movement = Table(
    "waste_movement",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("stream_id", Id, ForeignKey("waste_stream.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("batch", String(64), nullable=False),
    Column("quantity", Float, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("quantity_t", Float, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("facility_id", Id, ForeignKey("waste_facility.id")),
    Column("container", Text),
    Column("manifest_id", Id),
    Column("corrects_id", Id, ForeignKey("waste_movement.id")),
    Column("note", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_waste_movement_enterprise_id", "enterprise_id", "at"),
    Index("ix_waste_movement_stream_id", "stream_id", "batch"),
)

#: receivers' business licences (危险废物经营许可证), entered by the park; ``codes`` JSON list
#: of codes or whole categories
waste_licence = Table(
    "waste_licence",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("holder", Text, nullable=False),
    Column("number", String(64), nullable=False),
    Column("codes", Text, nullable=False),
    Column("capacity_t", Float, nullable=False),
    Column("valid_from", String(10), nullable=False),
    Column("valid_to", String(10), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    #: the park enterprise holding the licence (a receiver that confirms its receipts); None:
    #: a receiver outside the park (migration 0022)
    Column("enterprise_id", Id),
    #: the receiver's province (跨省转移 check); None: not stated (migration 0022)
    Column("province", Text),
    UniqueConstraint("park_id", "number"),
)

#: transfer manifests (电子转移联单); ``lines`` JSON, ``history`` JSON (each transition)
waste_manifest = Table(
    "waste_manifest",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("number", String(64), nullable=False),
    Column("licence_id", Id, ForeignKey("waste_licence.id"), nullable=False),
    Column("receiver", Text, nullable=False),
    Column("receiver_licence", String(64), nullable=False),
    Column("transporter", Text, nullable=False),
    Column("transporter_licence", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("lines", Text, nullable=False),
    Column("note", Text),
    Column("history", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("dispatched_at", BigInteger),
    Column("received_at", BigInteger),
    Column("closed_at", BigInteger),
    Column("cancelled_at", BigInteger),
    #: the licence's enterprise at creation (who confirms the receipt), migration 0022
    Column("receiver_enterprise_id", Id),
    #: the cross-province transfer approval the manifest runs under, migration 0022
    Column("approval_id", Id),
    UniqueConstraint("park_id", "number"),
    Index("ix_waste_manifest_enterprise_id", "enterprise_id", "state"),
)

#: cross-province transfer approvals (跨省转移审批, 固废法 第八十二条) of a generating enterprise;
#: ``codes`` JSON (codes or categories HWnn)
waste_transfer_approval = Table(
    "waste_transfer_approval",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("number", String(64), nullable=False),
    Column("origin", Text, nullable=False),
    Column("destination", Text, nullable=False),
    Column("codes", Text, nullable=False),
    Column("quantity_t", Float, nullable=False),
    Column("valid_from", String(10), nullable=False),
    Column("valid_to", String(10), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("park_id", "number"),
)

#: approved extensions of the storage time of a batch (固废法 第八十一条第三款: 确需延长期限的，
#: 报经颁发许可证的生态环境主管部门批准); appended, the latest approval of a (stream, batch) in
#: force (migration 0038)
waste_storage_extension = Table(
    "waste_storage_extension",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("stream_id", Id, ForeignKey("waste_stream.id"), nullable=False),
    Column("batch", String(64), nullable=False),
    Column("authority", Text, nullable=False),
    Column("number", String(64), nullable=False),
    Column("approved_on", String(10), nullable=False),
    Column("until", String(10), nullable=False),
    Column("note", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_waste_storage_extension_key", "stream_id", "batch"),
)

#: waste-exchange listings (固废交换): general industrial solid waste or by-products offered or
#: wanted by an enterprise
waste_listing = Table(
    "waste_listing",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("side", String(8), nullable=False),
    Column("material", Text, nullable=False),
    Column("code", String(32)),
    Column("quantity", Float, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("quantity_t", Float, nullable=False),
    Column("period_from", String(10), nullable=False),
    Column("period_to", String(10), nullable=False),
    Column("quality", Text),
    Column("location", Text),
    Column("state", String(16), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_waste_listing_park_id", "park_id", "state"),
)

#: deals between two enterprises on the exchange; visible to the two and the park
waste_deal = Table(
    "waste_deal",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("offer_id", Id, ForeignKey("waste_listing.id"), nullable=False),
    Column("want_id", Id, ForeignKey("waste_listing.id")),
    Column("seller_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("buyer_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("material", Text, nullable=False),
    Column("quantity", Float, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("quantity_t", Float, nullable=False),
    Column("agreed_on", String(10), nullable=False),
    Column("completed_on", String(10)),
    Column("state", String(16), nullable=False),
    Column("note", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_waste_deal_seller_id", "seller_id", "state"),
    Index("ix_waste_deal_buyer_id", "buyer_id", "state"),
)

# -- compliance (lingtan.compliance) ------------------------------------------------------------

#: project admission checks (项目准入, 8.3.1–8.3.3): the inputs (project, rules, year) and the
#: report as JSON, appended for audit, never edited
admission_check = Table(
    "admission_check",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("project_name", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("inputs", Text, nullable=False),
    Column("report", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_admission_check_park_id", "park_id", "created_at"),
)

# -- enterprise GHG accounting (lingtan.ghg) ----------------------------------------------------
#: an enterprise's GHG document for a year (sector sources, monthly activity data and parameters
#: with their evidence), appended: the newest row of an (enterprise, year) is in force, the
#: earlier ones stay as the evidence trail; ``sha256`` of the canonical JSON
ghg_document = Table(
    "ghg_document",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("sector", String(16), nullable=False),
    Column("document", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_ghg_document_enterprise_id", "enterprise_id", "year"),
)

# -- indicator profiles of a park (lingtan.indicators.park_profiles) ------------------------------
#: a profile a park administrator uploaded (the YAML text as sent, validated), one row per
#: version: a revision is a new version, never an edit in place; the newest version of a
#: (park, profile id) is the one evaluated
indicator_profile = Table(
    "indicator_profile",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("profile_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("document", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("reason", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("park_id", "profile_id", "version", name="uq_indicator_profile_version"),
)

# -- equipment, inspections and public lighting (lingtan.equipment) -----------------------------
#: an item of key energy-using or environmental equipment (设备台账): its declaration (JSON,
#: rated data validated per type) and the metering points that measure it; owned by an
#: enterprise (NULL: the park's own); a code is unique in the park
equipment = Table(
    "equipment",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("code", String(64), nullable=False),
    Column("type", String(24), nullable=False),
    Column("spec", Text, nullable=False),
    Column("power_point_id", Id, ForeignKey("point.id")),
    Column("flow_point_id", Id, ForeignKey("point.id")),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("park_id", "code", name="uq_equipment_code"),
    Index("ix_equipment_enterprise_id", "enterprise_id"),
)

#: an inspection plan (pipe leaks, insulation, steam traps, a meter's calibration): its
#: interval and due dates (ISO dates, park local); ``last_done`` moves when a work order is done
inspection_plan = Table(
    "inspection_plan",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("code", String(64), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("spec", Text, nullable=False),
    Column("equipment_id", Id, ForeignKey("equipment.id")),
    Column("point_id", Id, ForeignKey("point.id")),
    Column("first_due", String(10), nullable=False),
    Column("last_done", String(10)),
    Column("active", Boolean, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("park_id", "code", name="uq_inspection_plan_code"),
    Index("ix_inspection_plan_enterprise_id", "enterprise_id"),
)

#: a work order of a plan: findings, corrective action, status (open → in_progress → done |
#: cancelled); completing one sets the plan's ``last_done``
work_order = Table(
    "work_order",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("plan_id", Id, ForeignKey("inspection_plan.id"), nullable=False),
    Column("due", String(10), nullable=False),
    Column("status", String(16), nullable=False),
    Column("findings", Text),
    Column("corrective_action", Text),
    Column("done_on", String(10)),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_work_order_plan_id", "plan_id"),
)

#: a public-lighting zone of the park (roads, landscape, car parks): its declaration (JSON:
#: circuits as metering points, coordinates, offsets, dimming); the park's, no enterprise's
lighting_zone = Table(
    "lighting_zone",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("spec", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("park_id", "code", name="uq_lighting_zone_code"),
)

#: a level written to a lighting circuit (``lingtan equipment light``, the API, or the lighting
#: applier of ``serve``): the zone's level in force at ``at`` (the instant it took effect by the
#: astronomical schedule) and why; the outcome as for a dispatch setpoint (ok | mismatch |
#: timeout | unavailable | device_error | refused), the value read back, the last failure's
#: reason, every attempt (JSON) and who wrote it
lighting_write = Table(
    "lighting_write",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("zone", String(64), nullable=False),
    Column("device", String(64), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("level_pct", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("readback", Float),
    Column("error", Text),
    Column("attempts", Text, nullable=False),
    Column("written_by", Text, nullable=False),
    Column("written_at", BigInteger, nullable=False),
    Index("ix_lighting_write_park_id", "park_id", "zone", "device"),
    Index("ix_lighting_write_written_at", "park_id", "written_at"),
)

# -- the energy-management programme (lingtan.programme) -----------------------------------------
#: an annual energy- or water-saving plan of an enterprise or of the park (``enterprise_id``
#: null); ``targets`` the validated JSON of its targets
programme_plan = Table(
    "programme_plan",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("year", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("targets", Text, nullable=False),
    Column("approved_by", Text),
    Column("note", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_programme_plan_park_id", "park_id", "year"),
)

#: a measure of a plan (same owner as its plan); ``document`` the validated JSON of the
#: measure (schedule, meters, verification plan, contract); ``verified`` the last verification's
#: result (JSON) or null
programme_measure = Table(
    "programme_measure",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("plan_id", Id, ForeignKey("programme_plan.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("document", Text, nullable=False),
    Column("verified", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("plan_id", "code"),
)

#: a programme record (EnMS records of GB/T 23331, cleaner-production audits, circular
#: projects, building reviews): its kind, owner, validated document and the data it cites
programme_record = Table(
    "programme_record",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("park.id"), nullable=False),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("kind", String(32), nullable=False),
    Column("title", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("cites", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_programme_record_park_id", "park_id", "kind"),
)

# -- region mode: parks registered with a regional instance (docs/region.md) -----------------

#: a park registered with this (region) instance: its code, name, how its uploads are signed
#: (an HMAC secret, or an SM2 public key) and its targets per indicator (JSON)
region_park = Table(
    "region_park",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("secret", Text),  # the HMAC key as a channel holds it (hmac-sm3:… or plain)
    Column("public_key", String(128)),  # SM2 x‖y hex, for sm2-sm3 signatures
    Column("targets", Text, nullable=False),  # JSON {indicator id: target value}
    Column("created_by", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

#: one received upload document (a revision of a park's period), kept whole; the newest
#: revision of a period carries the region's figures, older ones are superseded and kept
region_upload = Table(
    "region_upload",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("park_id", Id, ForeignKey("region_park.id"), nullable=False),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("year", Integer, nullable=False),
    Column("month", Integer, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Column("deadline_at", BigInteger, nullable=False),
    Column("late", Boolean, nullable=False),
    Column("complete", Boolean, nullable=False),
    Column("completeness", Text, nullable=False),  # JSON: the checks' findings
    Column("summary", Text, nullable=False),  # JSON: indicators, accounting total
    Column("document", Text, nullable=False),  # the body exactly as received
    Column("receipt", Text, nullable=False),
    Column("superseded_by", Id),
    Column("superseded_at", BigInteger),
    UniqueConstraint("park_id", "kind", "year", "month", "revision", name="uq_region_upload_rev"),
    Index("ix_region_upload_park_id", "park_id", "year", "month"),
)

#: the hourly aggregates of an upload: one row per series (carrier × enterprise × building ×
#: unit) and hour (epoch hours, UTC); enterprise and building "" when none
region_hourly = Table(
    "region_hourly",
    metadata,
    Column("upload_id", Id, ForeignKey("region_upload.id"), nullable=False),
    Column("carrier", String(64), nullable=False),
    Column("enterprise", String(64), nullable=False),
    Column("building", String(64), nullable=False),
    Column("hour", BigInteger, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("value", Float),
    PrimaryKeyConstraint("upload_id", "carrier", "enterprise", "building", "unit", "hour"),
)

#: the monthly aggregates of an upload, one row per series
region_monthly = Table(
    "region_monthly",
    metadata,
    Column("upload_id", Id, ForeignKey("region_upload.id"), nullable=False),
    Column("carrier", String(64), nullable=False),
    Column("enterprise", String(64), nullable=False),
    Column("building", String(64), nullable=False),
    Column("unit", String(16), nullable=False),
    Column("value", Float),
    Column("completeness", Float, nullable=False),
    PrimaryKeyConstraint("upload_id", "carrier", "enterprise", "building", "unit"),
)

#: a user of the region instance bound to one registered park: sees that park only
region_member = Table(
    "region_member",
    metadata,
    Column("user_id", Id, ForeignKey("app_user.id"), primary_key=True),
    Column("park_id", Id, ForeignKey("region_park.id"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)
