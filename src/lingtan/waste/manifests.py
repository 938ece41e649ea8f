"""Transfer manifests (电子转移联单), pure: the state machine and the receiver's licence check.

固废法 (2020) 第八十二条 and 《危险废物转移管理办法》 (2021-11-30, in force 2022-01-01): a
transfer of hazardous waste runs an electronic or paper manifest; the receiver must hold a
business licence (危险废物经营许可证) covering the waste. States here::

    draft ──dispatch──► dispatched ──receive──► received ──close──► closed
      └──cancel──► cancelled

The receipt records the quantity received per line; a difference from the quantity sent is
kept on the manifest and raises an alarm (rule check ``receipt_difference``).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from lingtan.errors import Conflict, InvalidInput
from lingtan.waste.model import Licence, TransferApproval

DRAFT = "draft"
DISPATCHED = "dispatched"
RECEIVED = "received"
CLOSED = "closed"
CANCELLED = "cancelled"
STATES: Final = (DRAFT, DISPATCHED, RECEIVED, CLOSED, CANCELLED)
#: the states a manifest is open in (the waste is on its way or not yet confirmed)
OPEN: Final = frozenset({DISPATCHED, RECEIVED})
#: action → (the state it applies to, the state it leads to)
TRANSITIONS: Final = {
    "dispatch": (DRAFT, DISPATCHED),
    "receive": (DISPATCHED, RECEIVED),
    "close": (RECEIVED, CLOSED),
    "cancel": (DRAFT, CANCELLED),
}
STATE_ZH: Final = {
    DRAFT: "草稿",
    DISPATCHED: "已发运",
    RECEIVED: "已接收",
    CLOSED: "已办结",
    CANCELLED: "已作废",
}


def next_state(state: str, action: str) -> str:
    """The state ``action`` leads to from ``state``; :class:`InvalidInput` for an unknown
    action, :class:`Conflict` for one not allowed in the state (e.g. receiving a draft)."""
    if action not in TRANSITIONS:
        raise InvalidInput(
            f"action: {action!r} is not one of {', '.join(TRANSITIONS)}", field="action"
        )
    source, target = TRANSITIONS[action]
    if state != source:
        raise Conflict(f"a manifest in state {state} cannot {action} (only from {source})")
    return target


def check_licence(
    licence: Licence, *, code: str, category: str, day: dt.date, quantity_t: float, used_t: float
) -> None:
    """Refuse a receiver whose licence does not cover ``code`` (nor its category), is not valid
    on ``day``, or whose annual capacity would be exceeded (``used_t`` already received under
    it this year). :class:`InvalidInput` naming the code."""
    if not licence.covers(code, category):
        raise InvalidInput(
            f"lines.code: the receiver {licence.holder} (licence {licence.number}) is not "
            f"licensed for waste code {code}",
            field="lines.code",
        )
    if not (licence.valid_from <= day.isoformat() <= licence.valid_to):
        raise InvalidInput(
            f"licence_id: licence {licence.number} is not valid on {day.isoformat()} "
            f"({licence.valid_from} … {licence.valid_to}); waste code {code} refused",
            field="licence_id",
        )
    if used_t + quantity_t > licence.capacity_t + 1e-9:
        raise InvalidInput(
            f"lines.quantity: waste code {code}: {quantity_t:g} t more would exceed licence "
            f"{licence.number}'s annual capacity of {licence.capacity_t:g} t "
            f"({used_t:g} t already this year)",
            field="lines.quantity",
        )


#: suffixes of a province's name dropped before comparing (江苏省 = 江苏, 上海市 = 上海)
_PROVINCE_SUFFIXES: Final = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")


def province_key(name: str) -> str:
    """A province's name without spaces and its administrative suffix (江苏省 → 江苏)."""
    key = "".join(name.split())
    for suffix in _PROVINCE_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def cross_province(park_province: str | None, receiver_province: str | None) -> bool:
    """Whether a transfer leaves the park's province. A side that does not state its province
    is not judged (False): the licence registry records the receiver's province to check."""
    if not park_province or not receiver_province:
        return False
    return province_key(park_province) != province_key(receiver_province)


def check_approval(
    approval: TransferApproval,
    *,
    destination: str,
    code: str,
    category: str,
    day: dt.date,
    quantity_t: float,
    used_t: float,
) -> None:
    """Refuse a cross-province transfer the approval does not cover: another destination
    province, a code (or category) it does not name, a day outside its validity, or a quantity
    beyond what it approved (``used_t``: the quantity of the manifests already under it).
    固废法 (2020) 第八十二条: a transfer out of the province needs the approval of the
    province of origin's environment authority. :class:`InvalidInput` naming the code."""
    if province_key(approval.destination) != province_key(destination):
        raise InvalidInput(
            f"approval_id: approval {approval.number} is for transfers to "
            f"{approval.destination}, not to {destination}",
            field="approval_id",
        )
    if not approval.covers(code, category):
        raise InvalidInput(
            f"lines.code: approval {approval.number} does not cover waste code {code}",
            field="lines.code",
        )
    if not (approval.valid_from <= day.isoformat() <= approval.valid_to):
        raise InvalidInput(
            f"approval_id: approval {approval.number} is not valid on {day.isoformat()} "
            f"({approval.valid_from} … {approval.valid_to})",
            field="approval_id",
        )
    if used_t + quantity_t > approval.quantity_t + 1e-9:
        raise InvalidInput(
            f"lines.quantity: waste code {code}: {quantity_t:g} t more would exceed the "
            f"{approval.quantity_t:g} t of approval {approval.number} ({used_t:g} t already "
            "under it)",
            field="lines.quantity",
        )
