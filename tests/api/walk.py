"""The route walk shared by the tenancy tests: every operation of the OpenAPI schema, and the
request that aims it at a set of identifiers — enterprise B's (``World.b``), ones that name
nothing (:func:`missing_ids`), or the park's own (:func:`park_ids`).

A new route fails the walks until its path parameters, required query parameters and (for a
write) its request body are described here, so no route can be added without being walked.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from tests.api.world import (
    World,
    certificate_csv,
    ghg_document_body,
    programme_measure_body,
)

OPEN = {"/health", "/api/v1/auth/token", "/api/v1/auth/refresh", "/api/v1/auth/logout"}
WRITE_METHODS = {"post", "put", "patch", "delete"}
#: query parameters that name a resource, filled from the identifiers a walk aims at
#: (``enterprise`` is an enterprise's code: the forecast list's subject)
#: (``station`` is a monitoring station's code: the environment assessment's subject)
RESOURCE_QUERY = ("enterprise_id", "site_id", "point", "boundary", "enterprise", "station")
#: other required query parameters
REQUIRED = {"year": 2025, "basis": "enterprise"}
#: path parameters that name no resource (a kind of report)
#: path parameters that name no tenant's resource: a report kind, a version of the park's options
#: (``profile_id``: one of the park's own indicator profiles, the park's and no enterprise's)
FIXED_PATH = {
    "kind": "energy_report",
    "version": "0",
    "tariff_id": "demo-js-synthetic",
    "profile_id": "walk-probe",
    # a public-lighting zone: the park's, no enterprise's
    "zone_code": "walk-probe",
    # the park's stored matching run (tests/api/world.py stores it first): a run names no
    # enterprise; an enterprise user reads its own consumer of it, never B's
    "run_id": "1",
}

PARK_FILE = """\
park:
  id: demo-park
  name: 示范零碳产业园（合成数据 SYNTHETIC）
  province: 江苏
enterprises: []
sites: []
points: []
"""

#: a day of the shrunk demo (January 2025) with a week of history before it
DISPATCH_DAY = "2025-01-20"


def dispatch_site_body() -> dict[str, Any]:
    """The demo park's microgrid declaration (a battery and a charger on its own meters)."""
    return {
        "source": "测试（合成）",
        "grid": {"import_point": "PARK-grid", "import_limit_kw": 10000},
        "batteries": [
            {
                "code": "PARK-bess",
                "charge_point": "PARK-bess-charge",
                "discharge_point": "PARK-bess-discharge",
                "energy_kwh": 10000,
                "charge_kw": 5000,
                "discharge_kw": 5000,
            }
        ],
        "chargers": [{"code": "EV-1", "point": "PARK-ev1", "max_kw": 600}],
    }


def profile_yaml(profile_id: str, version: int) -> bytes:
    """A park's own indicator profile (one indicator, inheriting nothing)."""
    return f"""\
id: {profile_id}
version: {version}
name_zh: 测试指标体系（合成）
name_en: test profile (synthetic)
level: park
issuer: 园区管委会
document: 测试
url_note: synthetic profile for tests
confidence: L
indicators:
- id: core
  name_zh: 单位能耗碳排放
  name_en: carbon per energy
  definition: emissions_tco2 / energy_tce
  unit: tCO2/tce
  direction: le
  targets:
  - {{value: 0.5, confidence: L, verified: false, note: synthetic}}
""".encode()


Ids = Mapping[str, Any]
Body = Callable[[Ids], dict[str, Any]]


def _rule(code: str, point: str) -> dict[str, Any]:
    return {
        "id": code,
        "name": "probe",
        "kind": "threshold",
        "scope": {"points": [point]},
        "op": "above",
        "high": 1,
    }


def grid_series_body(series_id: str) -> dict[str, Any]:
    """A two-hour synthetic grid-factor series for 江苏 2025."""
    return {
        "series_id": series_id,
        "region": "江苏",
        "year": 2025,
        "start": "2025-01-15T08:00:00+08:00",
        "values": [0.6, 0.5],
        "source": "synthetic test series",
        "url_note": "synthetic values for tests",
        "confidence": "L",
        "verified": False,
    }


def weather_body(code: str) -> dict[str, Any]:
    """A two-hour synthetic temperature series."""
    return {
        "code": code,
        "quantity": "temperature",
        "source": "synthetic test series",
        "csv": "hour,value\n2025-01-15T08:00:00+08:00,3.5\n2025-01-15T09:00:00+08:00,4.0\n",
    }


def _readings(ids: Ids) -> dict[str, Any]:
    return {"json": [{"point": ids["point"], "ts": "2025-01-15T08:00:00+08:00", "value": 1.0}]}


#: (method, path) → request arguments aimed at the identifiers ``ids`` (every write operation
#: must be listed)
BODIES: dict[tuple[str, str], Body] = {
    ("post", "/api/v1/readings"): _readings,
    ("put", "/api/v1/park"): lambda ids: {
        "content": PARK_FILE.encode(),
        "headers": {"Content-Type": "application/yaml"},
    },
    ("post", "/api/v1/users"): lambda ids: {
        "json": {
            "username": "intruder",
            "password": "intruder-pass-1",
            "role": "enterprise_viewer",
            "enterprise_id": ids["enterprise_id"],
        }
    },
    ("patch", "/api/v1/users/{user_id}"): lambda ids: {"json": {"display_name": "hijacked"}},
    ("post", "/api/v1/keys"): lambda ids: {
        "json": {"name": "intruder", "scope": "read", "enterprise_id": ids["enterprise_id"]}
    },
    ("delete", "/api/v1/keys/{key_id}"): lambda ids: {},
    ("post", "/api/v1/records"): lambda ids: {
        "json": {
            "enterprise_id": ids["enterprise_id"],
            "category": "water",
            "item": "intake",
            "period_start": "2025-02-01",
            "period_end": "2025-02-28",
            "quantity": 1.0,
            "unit": "m3",
            "source_document": "forged",
        }
    },
    ("post", "/api/v1/records/{record_id}/corrections"): lambda ids: {
        "json": {"quantity": 0.0, "source_document": "forged"}
    },
    ("post", "/api/v1/records/import"): lambda ids: {
        "files": {
            "file": (
                "records.csv",
                b"enterprise,category,item,period,quantity,unit,source_document\n"
                + f"{ids['enterprise_code']},water,intake,2025-03,1,m3,forged\n".encode(),
                "text/csv",
            )
        }
    },
    # names no enterprise: the run is limited to the caller's own production counters
    ("post", "/api/v1/records/from-meters"): lambda ids: {"json": {"year": 2025}},
    ("post", "/api/v1/jobs/normalise"): lambda ids: {},
    # the caller's own account: names no resource of B
    ("post", "/api/v1/me/password"): lambda ids: {
        "json": {"current_password": "not-the-password", "new_password": "another-pass-1"}
    },
    ("post", "/api/v1/accounting/recompute"): lambda ids: {
        "json": {"basis": "enterprise", "year": 2025, "enterprise_id": ids["enterprise_id"]}
    },
    ("post", "/api/v1/certificates/import"): lambda ids: {
        "files": {"file": ("c.csv", certificate_csv(["1" * 32]), "text/csv")},
        "data": {"enterprise_id": str(ids["enterprise_id"])},
    },
    ("post", "/api/v1/certificates/retire"): lambda ids: {
        "json": {
            "cert_ids": [ids["cert_id"]],
            "period_start": "2025-01",
            "period_end": "2025-01",
            "enterprise_id": ids["enterprise_id"],
        }
    },
    ("post", "/api/v1/reports/{kind}"): lambda ids: {
        "json": {"year": 2025, "enterprise_id": ids["enterprise_id"]}
    },
    # the park's options are the park's: an enterprise's user may read them, never change them
    ("put", "/api/v1/options"): lambda ids: {
        "json": {"changes": {"export_kind": "fossil"}, "reason": "forged"}
    },
    ("post", "/api/v1/points/{code}/replacements"): lambda ids: {
        "json": {"at": "2025-01-15T08:05:00+08:00", "old_final": 1.0, "new_initial": 0.0}
    },
    ("post", "/api/v1/alarms/rules"): lambda ids: {"json": _rule("probe", ids["point"])},
    ("put", "/api/v1/alarms/rules/{rule_code}"): lambda ids: {
        "json": _rule(ids["rule_code"], ids["point"])
    },
    ("delete", "/api/v1/alarms/rules/{rule_code}"): lambda ids: {},
    ("post", "/api/v1/alarms/suppressions"): lambda ids: {
        "json": {
            "starts": "2025-04-01T00:00:00+08:00",
            "ends": "2025-04-02T00:00:00+08:00",
            "reason": "forged",
            "point": ids["point"],
        }
    },
    ("delete", "/api/v1/alarms/suppressions/{suppression_id}"): lambda ids: {},
    ("post", "/api/v1/alarms/{alarm_id}/acknowledge"): lambda ids: {"json": {"comment": "x"}},
    ("post", "/api/v1/alarms/{alarm_id}/close"): lambda ids: {"json": {"comment": "x"}},
    ("post", "/api/v1/alarms/{alarm_id}/comments"): lambda ids: {"json": {"text": "forged"}},
    # a channel for B's alarms, made by someone else
    ("post", "/api/v1/alarms/channels"): lambda ids: {
        "json": {
            "code": "intruder",
            "name": "intruder",
            "kind": "webhook",
            "target": "https://intruder.example.com/hook",
            "enterprise_id": ids["enterprise_id"],
        }
    },
    ("delete", "/api/v1/alarms/channels/{channel_id}"): lambda ids: {},
    ("post", "/api/v1/alarms/channels/{channel_id}/test"): lambda ids: {},
    ("post", "/api/v1/alarms/deliveries/{delivery_id}/retry"): lambda ids: {},
    # an upload of B's month through B's channel
    ("post", "/api/v1/exchange/ecm/uploads"): lambda ids: {
        "json": {
            "channel_id": ids["channel_id"],
            "enterprise_id": ids["enterprise_id"],
            "year": 2025,
            "month": 1,
        }
    },
    # a region upload (the whole park's) through a channel of B's
    ("post", "/api/v1/exchange/region/uploads"): lambda ids: {
        "json": {"channel_id": ids["channel_id"], "year": 2025, "month": 1}
    },
    # an incident opened for B's enterprise, and changes of B's incident
    ("post", "/api/v1/incidents"): lambda ids: {
        "json": {
            "title": "forged",
            "kind": "natural_disaster",
            "enterprise_id": ids["enterprise_id"],
        }
    },
    ("post", "/api/v1/incidents/{incident_id}/entries"): lambda ids: {"json": {"text": "forged"}},
    ("post", "/api/v1/incidents/{incident_id}/attachments"): lambda ids: {
        "files": {"file": ("forged.txt", b"forged", "text/plain")}
    },
    ("post", "/api/v1/incidents/{incident_id}/close"): lambda ids: {"json": {"report": "forged"}},
    ("patch", "/api/v1/incidents/{incident_id}"): lambda ids: {
        "json": {"level": "ordinary", "reason": "forged"}
    },
    # an hourly grid-factor series: park-level reference data, no enterprise's resource
    ("post", "/api/v1/grid-factors"): lambda ids: {"json": grid_series_body("walk-probe")},
    # a stored matching run: the park's, naming no enterprise
    ("post", "/api/v1/matching/runs"): lambda ids: {"json": {"year": 2025}},
    # a weather series: the park's, no enterprise's resource
    ("post", "/api/v1/forecasts/weather-series"): lambda ids: {"json": weather_body("walk-probe")},
    # a tariff for B's enterprise (park administrators only), and a bill filed for B
    ("put", "/api/v1/tariffs/assignment"): lambda ids: {
        "json": {"tariff_id": "demo-js-synthetic", "enterprise_id": ids["enterprise_id"]}
    },
    # a month's base price of a tariff record: the park's (park administrators only)
    ("post", "/api/v1/tariffs/{tariff_id}/month-prices"): lambda ids: {
        "json": {"month": "2025-06", "price": 0.4, "fixed": 0.2, "source": "walk-probe"}
    },
    ("post", "/api/v1/bills"): lambda ids: {
        "json": {
            "month": "2025-01",
            "enterprise_id": ids["enterprise_id"],
            "energy_kwh": {"高峰": 1.0},
            "total_amount": 1.0,
            "reference": f"forged-{uuid.uuid4().hex[:8]}",
        }
    },
    # a forecast issued for B's point, and a PV plant declared on it
    ("post", "/api/v1/forecasts"): lambda ids: {"json": {"point": ids["point"]}},
    ("put", "/api/v1/forecasts/pv-plants/{code}"): lambda ids: {
        "json": {
            "kwp": 100,
            "tilt_deg": 20,
            "azimuth_deg": 180,
            "losses_pct": 14,
            "latitude": 31.3,
            "longitude": 120.6,
        }
    },
    # dispatch of the park's microgrid (park administrators only): the declaration, a plan,
    # a plan's publication and a day's EV sessions
    ("put", "/api/v1/dispatch/site"): lambda ids: {"json": dispatch_site_body()},
    ("post", "/api/v1/dispatch/plans"): lambda ids: {"json": {"day": DISPATCH_DAY}},
    ("post", "/api/v1/dispatch/plans/{plan_id}/publish"): lambda ids: {},
    ("post", "/api/v1/dispatch/ev-sessions"): lambda ids: {
        "json": {"day": DISPATCH_DAY, "sessions": []}
    },
    # the waste ledger: B's enterprise, B's stream, B's manifest, B's offer and deal
    ("post", "/api/v1/waste/streams"): lambda ids: {
        "json": {"enterprise_id": ids["enterprise_id"], "code": "900-041-49", "name": "forged",
                 "form": "固态", "process": "forged"}
    },
    ("post", "/api/v1/waste/plans"): lambda ids: {
        "json": {"stream_id": ids["stream_id"], "year": 2025, "quantity": 1}
    },
    ("post", "/api/v1/waste/facilities"): lambda ids: {
        "json": {"enterprise_id": ids["enterprise_id"], "code": "forged", "name": "forged",
                 "capacity": 1}
    },
    ("post", "/api/v1/waste/movements"): lambda ids: {
        "json": {"stream_id": ids["stream_id"], "kind": "generated", "batch": "forged",
                 "quantity": 1, "at": "2025-03-01"}
    },
    ("post", "/api/v1/waste/movements/import"): lambda ids: {
        "files": {
            "file": (
                "ledger.csv",
                b"enterprise,stream,kind,batch,quantity,at\n"
                + f"{ids['enterprise_code']},forged,generated,F1,1,2025-03-01\n".encode(),
                "text/csv",
            )
        }
    },
    ("post", "/api/v1/waste/licences"): lambda ids: {
        "json": {"holder": "forged", "number": f"forged-{uuid.uuid4().hex[:8]}", "codes": ["HW49"],
                 "capacity": 1, "valid_from": "2025-01-01", "valid_to": "2025-12-31"}
    },
    ("post", "/api/v1/waste/approvals"): lambda ids: {
        "json": {"enterprise_id": ids["enterprise_id"], "number": f"forged-{uuid.uuid4().hex[:8]}",
                 "destination": "浙江", "codes": ["HW49"], "quantity": 1,
                 "valid_from": "2025-01-01", "valid_to": "2025-12-31"}
    },
    # an extension of the storage time of a batch of B's stream
    ("post", "/api/v1/waste/storage-extensions"): lambda ids: {
        "json": {"stream_id": ids["stream_id"], "batch": "forged", "authority": "forged",
                 "number": f"forged-{uuid.uuid4().hex[:8]}", "approved_on": "2026-02-10",
                 "until": "2026-06-30"}
    },
    ("post", "/api/v1/waste/manifests"): lambda ids: {
        "json": {"enterprise_id": ids["enterprise_id"], "number": f"forged-{uuid.uuid4().hex[:8]}",
                 "licence_id": ids["licence_id"], "transporter": "forged",
                 "transporter_licence": "forged",
                 "lines": [{"stream_id": ids["stream_id"], "quantity": 1}]}
    },
    ("post", "/api/v1/waste/manifests/{manifest_id}/transitions"): lambda ids: {
        "json": {"action": "cancel"}
    },
    ("post", "/api/v1/waste/exchange/listings"): lambda ids: {
        "json": {"enterprise_id": ids["enterprise_id"], "side": "offer", "material": "forged",
                 "quantity": 1, "period_from": "2025-01-01", "period_to": "2025-12-31"}
    },
    ("post", "/api/v1/waste/exchange/deals"): lambda ids: {
        "json": {"offer_id": ids["offer_id"], "buyer_id": ids["enterprise_id"], "quantity": 1,
                 "agreed_on": "2025-06-01"}
    },
    ("post", "/api/v1/waste/exchange/deals/{deal_id}/settle"): lambda ids: {
        "json": {"action": "cancel", "on": "2025-06-02"}
    },
    ("post", "/api/v1/waste/alarm-rules"): lambda ids: {},
    # a project admission check: the park's, naming no enterprise (not stored by the walk)
    ("post", "/api/v1/compliance/admission"): lambda ids: {"json": {
        "project": {"name": "probe", "investment_cny": 1, "energy_tce": 1, "electricity_kwh": 0,
                    "green_power_share": 0, "combustion_tco2": 0, "process_tco2": 0},
        "rules": {"core_max": 1, "core_source": "probe"}, "year": 2025, "store": False,
    }},
    # a park's own indicator profile: the park's, naming no enterprise
    ("put", "/api/v1/indicators/profiles/{profile_id}"): lambda ids: {
        "content": profile_yaml("walk-probe", 1),
        "headers": {"Content-Type": "application/yaml"},
    },
    # enterprise GHG: B's enterprise's document; a CBAM communication (computed, names nothing)
    ("post", "/api/v1/ghg/documents"): lambda ids: {
        "json": {"enterprise_id": ids["enterprise_id"], "document": ghg_document_body()}
    },
    ("post", "/api/v1/ghg/cbam/communication"): lambda ids: {
        "json": {"installation": {"name": "forged", "year": 2026, "processes": [
            {"id": "p", "cn_code": "7601 10 10", "output": 1}]}}
    },
    # the equipment register: an item, a plan and a work order on B's meter for B's enterprise
    ("post", "/api/v1/equipment"): lambda ids: {
        "json": {"code": "FORGED-M", "name": "forged", "type": "motor",
                 "rated": {"rated_kw": 15, "poles": 4, "efficiency_pct": 91.0},
                 "power_point": ids["point"], "enterprise_id": ids["enterprise_id"]}
    },
    ("post", "/api/v1/equipment/inspections/plans"): lambda ids: {
        "json": {"code": f"FORGED-{uuid.uuid4().hex[:8]}", "name": "forged",
                 "kind": "meter_calibration", "point": ids["point"], "interval_months": 12,
                 "first_due": "2025-01-10", "enterprise_id": ids["enterprise_id"]}
    },
    ("post", "/api/v1/equipment/inspections/plans/{inspection_plan_id}/orders"): lambda ids: {},
    ("patch", "/api/v1/equipment/inspections/orders/{work_order_id}"): lambda ids: {
        "json": {"findings": "forged"}
    },
    ("post", "/api/v1/equipment/alarm-rules"): lambda ids: {},
    ("post", "/api/v1/programme/alarm-rules"): lambda ids: {},
    # a public-lighting zone: the park's (park administrators), naming no enterprise
    ("put", "/api/v1/equipment/lighting/zones/{zone_code}"): lambda ids: {
        "json": {"name": "forged", "kind": "road", "circuits": [ids["point"]],
                 "latitude": 31.3, "longitude": 120.6}
    },
    # a lighting zone's level (park administrators): a dry run names nothing of an enterprise
    ("post", "/api/v1/equipment/lighting/zones/{zone_code}/apply"): lambda ids: {
        "json": {"dry_run": True}
    },
    # the energy-management programme: B's enterprise, B's plan, B's measure, B's record
    ("post", "/api/v1/programme/plans"): lambda ids: {
        "json": {"enterprise_id": ids["enterprise_id"], "year": 2025, "title": "forged",
                 "targets": {}}
    },
    ("post", "/api/v1/programme/measures"): lambda ids: {
        "json": programme_measure_body(ids["saving_plan_id"], "FORGED")
    },
    ("patch", "/api/v1/programme/measures/{measure_id}"): lambda ids: {
        "json": {"status": "cancelled"}
    },
    ("post", "/api/v1/programme/measures/{measure_id}/verify"): lambda ids: {
        "json": {"save": True}
    },
    ("post", "/api/v1/programme/records"): lambda ids: {
        "json": {"kind": "objective", "enterprise_id": ids["enterprise_id"], "title": "forged",
                 "body": {"statement": "forged"}}
    },
    ("patch", "/api/v1/programme/records/{programme_record_id}"): lambda ids: {
        "json": {"title": "forged"}
    },
}  # fmt: skip
#: write operations whose request does not name a resource of B
NOT_AIMED = {
    ("post", "/api/v1/equipment/alarm-rules"),
    ("post", "/api/v1/programme/alarm-rules"),
    ("put", "/api/v1/equipment/lighting/zones/{zone_code}"),
    ("post", "/api/v1/equipment/lighting/zones/{zone_code}/apply"),
    ("put", "/api/v1/dispatch/site"),
    ("post", "/api/v1/dispatch/plans"),
    ("post", "/api/v1/dispatch/ev-sessions"),
    ("post", "/api/v1/waste/licences"),
    ("post", "/api/v1/waste/alarm-rules"),
    ("post", "/api/v1/compliance/admission"),
    ("post", "/api/v1/me/password"),
    ("post", "/api/v1/jobs/normalise"),
    # runs the caller's own production counters only (names no enterprise)
    ("post", "/api/v1/records/from-meters"),
    ("post", "/api/v1/grid-factors"),
    ("post", "/api/v1/matching/runs"),
    ("post", "/api/v1/forecasts/weather-series"),
    ("post", "/api/v1/ghg/cbam/communication"),
    ("put", "/api/v1/indicators/profiles/{profile_id}"),
}
#: how a request aimed at a resource the caller may not see is refused
REFUSED = frozenset({401, 403, 404})


@dataclass(frozen=True)
class Extra:
    """A further request aimed at a resource in a way the generated ones are not — through the
    body only, in the caller's own scope, or with other query parameters."""

    label: str
    method: str
    path: str
    #: request arguments (``json``, ``files``, ``params`` …) aimed at the identifiers
    args: Body
    refused: frozenset[int] = REFUSED


#: the walks send these besides the generated requests
EXTRA: list[Extra] = [
    Extra(
        "stored results of a building",
        "get",
        "/api/v1/accounting/results",
        lambda ids: {"params": {"basis": "building", "boundary": ids["site_code"], "year": 2025}},
    ),
    Extra(
        "recompute a building",
        "post",
        "/api/v1/accounting/recompute",
        lambda ids: {"json": {"basis": "building", "year": 2025, "site_id": ids["site_id"]}},
    ),
    Extra(
        "an ingest key of one's own for a point",
        "post",
        "/api/v1/keys",
        lambda ids: {"json": {"name": "probe", "scope": "ingest", "points": [ids["point"]]}},
        # the point list is validated as input: a point outside the key's scope, whether of
        # another enterprise or of none, is the same 422 (test_existence compares the two)
        REFUSED | {422},
    ),
    Extra(
        "retire a certificate for oneself",
        "post",
        "/api/v1/certificates/retire",
        lambda ids: {
            "json": {
                "cert_ids": [ids["cert_id"]],
                "period_start": "2025-01",
                "period_end": "2025-01",
            }
        },
    ),
    Extra(
        "issue a forecast of an enterprise's load",
        "post",
        "/api/v1/forecasts",
        lambda ids: {"json": {"enterprise": ids["enterprise"], "history_days": 28}},
    ),
    Extra(
        # the park's load is park-level, whatever the identifiers: an enterprise user is
        # refused (403) as for every park-level action
        "issue a forecast of the park's load",
        "post",
        "/api/v1/forecasts",
        lambda ids: {"json": {"scope": "park", "history_days": 28}},
    ),
    Extra(
        "list the park's load forecasts",
        "get",
        "/api/v1/forecasts",
        lambda ids: {"params": {"scope": "park"}},
    ),
    Extra(
        "ingest a reading of a point and one's own",
        "post",
        "/api/v1/readings",
        lambda ids: {
            "json": [
                {"point": "E01-grid", "ts": "2025-01-15T08:00:00+08:00", "value": 1.0},
                {"point": ids["point"], "ts": "2025-01-15T08:00:00+08:00", "value": 1.0},
            ]
        },
    ),
]


def missing_ids(w: World) -> dict[str, Any]:
    """Identifiers of the same shape as B's (``w.b``) that name nothing in the world."""
    ids = {
        "enterprise_id": 987_654,
        "site_id": 987_653,
        "code": "E99-grid",
        "point": "E99-grid",
        "user_id": 987_652,
        "key_id": 987_651,
        "job_id": str(uuid.uuid4()),
        "queued_job_id": str(uuid.uuid4()),
        "record_id": 987_650,
        "cert_id": "9" * 20 + "202501999999",
        "boundary": "E99",
        "enterprise_code": "E99",
        "enterprise": "E99",
        "site_code": "E99-B1",
        "result_id": 987_649,
        "alarm_id": 987_648,
        "rule_code": "E99-rule",
        "suppression_id": 987_647,
        "channel_id": 987_648,
        "delivery_id": 987_647,
        "incident_id": 987_648,
        "attachment_id": 987_647,
        "bill_id": 987_646,
        "forecast_id": 987_646,
        "plan_id": 987_645,
        "station_code": "E99-OUT1",
        "station": "E99-OUT1",
        "stream_id": 987_645,
        "manifest_id": 987_645,
        "saving_plan_id": 987_644,
        "measure_id": 987_644,
        "programme_record_id": 987_644,
        "offer_id": 987_645,
        "deal_id": 987_645,
        "licence_id": 987_645,
        "equipment_id": 987_644,
        "inspection_plan_id": 987_644,
        "work_order_id": 987_644,
    }
    assert ids.keys() >= {k for k in w.b if not k.startswith("key")}, "describe a missing id"
    return ids


def park_ids(w: World) -> dict[str, Any]:
    """The park's own resources where it has some (invisible to enterprise users, like B's);
    the other identifiers name nothing."""
    return {
        **missing_ids(w),
        "site_id": w.park["site_id"],
        "code": w.park["point"],
        "point": w.park["point"],
        "site_code": w.park["site_code"],
    }


def operations(w: World) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (method, path, operation) of the OpenAPI schema but the open ones."""
    schema = w.client.get("/openapi.json").json()
    return [
        (method, path, op)
        for path, item in sorted(schema["paths"].items())
        for method, op in item.items()
        if method in {"get", *WRITE_METHODS} and path not in OPEN
    ]


def resource_query(op: dict[str, Any]) -> list[str]:
    """The query parameters of an operation that name a resource."""
    return [
        p["name"]
        for p in op.get("parameters", [])
        if p["in"] == "query" and p["name"] in RESOURCE_QUERY
    ]


@dataclass(frozen=True)
class Call:
    """One request of a walk."""

    method: str
    path: str
    url: str
    kwargs: dict[str, Any]
    #: whether the request names a resource of the identifiers it was built from
    aimed: bool
    #: the statuses that refuse it when it is aimed at a resource the caller may not see
    refused: frozenset[int] = REFUSED

    def where(self, who: str) -> str:
        """The request for messages."""
        query = "&".join(f"{k}={v}" for k, v in self.kwargs.get("params", {}).items())
        return f"{who} {self.method.upper()} {self.url}" + (f"?{query}" if query else "")

    def send(self, w: World, headers: Mapping[str, str]) -> httpx.Response:
        """Send the request with ``headers`` (added to the request's own)."""
        kwargs = dict(self.kwargs)
        merged = {**headers, **kwargs.pop("headers", {})}
        return w.client.request(self.method.upper(), self.url, headers=merged, **kwargs)


def request_for(
    method: str,
    path: str,
    op: dict[str, Any],
    ids: Ids,
    *,
    query: Collection[str] = RESOURCE_QUERY,
    body: Body | None = None,
    refused: frozenset[int] = REFUSED,
) -> Call:
    """The request that aims an operation at ``ids``: path parameters, the resource query
    parameters in ``query`` (others are left out) and, for a write, its body; ``body`` gives
    other request arguments (a body, or query parameters that replace the generated ones)."""
    aimed = False
    url = path
    for name in re.findall(r"{(\w+)}", path):
        if name in FIXED_PATH:
            url = url.replace(f"{{{name}}}", FIXED_PATH[name])
            continue
        assert name in ids, f"{method.upper()} {path}: no identifier for path parameter {name!r}"
        url = url.replace(f"{{{name}}}", str(ids[name]))
        aimed = True
    params: dict[str, Any] = {}
    for p in op.get("parameters", []):
        if p["in"] != "query":
            continue
        if p["name"] in RESOURCE_QUERY and (p["name"] in query or p.get("required")):
            params[p["name"]] = ids[p["name"]]
            aimed = True
        elif p.get("required"):
            assert p["name"] in REQUIRED, f"{path}: fill required query parameter {p['name']!r}"
            params[p["name"]] = REQUIRED[p["name"]]
    kwargs: dict[str, Any] = {"params": params}
    if body is not None:
        kwargs.update(body(ids))
        aimed = True
    elif method in WRITE_METHODS:
        key = (method, path)
        assert key in BODIES, f"{method.upper()} {path}: describe a request body in BODIES"
        kwargs.update(BODIES[key](ids))
        aimed = aimed or key not in NOT_AIMED
    return Call(method, path, url, kwargs, aimed, refused)


def walk(
    w: World, ids: Ids, *, query: Collection[str] = RESOURCE_QUERY, extra: bool = True
) -> list[Call]:
    """The requests aiming every operation at ``ids`` (and the :data:`EXTRA` ones)."""
    ops = operations(w)
    calls = [request_for(m, p, op, ids, query=query) for m, p, op in ops]
    if extra:
        by_key = {(m, p): op for m, p, op in ops}
        calls += [
            request_for(
                e.method, e.path, by_key[(e.method, e.path)], ids, body=e.args, refused=e.refused
            )
            for e in EXTRA
        ]
    return calls


def single_query_calls(w: World, ids: Ids) -> list[Call]:
    """For every operation with optional resource query parameters: one request per such
    parameter, with that parameter as the only resource named (so the refusal of one cannot
    hide what another lets through)."""
    calls = []
    for method, path, op in operations(w):
        for name in resource_query(op):
            calls.append(request_for(method, path, op, ids, query=(name,)))
    return calls


def no_b_data(w: World, text: str, where: str) -> None:
    """Fail if ``text`` contains any of B's data."""
    for marker in w.b_markers:
        assert marker not in text, f"{where}: response contains B's data ({marker!r})"
