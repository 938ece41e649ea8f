"""A park's own indicator profiles (园区自定义指标体系) in the store.

A park administrator uploads a profile (the YAML of docs/indicator-profiles.md); it is
validated exactly as a profile file (errors name the line: ``my-park.yaml:17: …``) and stored
as a new version — a revision is a new ``version:``, never an edit in place; the newest version
is the one evaluated, the earlier ones stay with who stored them, when and why. Its id may not
be a shipped profile's. It may inherit a shipped profile or another of the park's stored ones;
never a path: the services read no file.

:func:`resolve_profiles` turns the names a request or the park's options give into profiles:
a shipped name, a stored profile of the park, or (``files=True``, the CLI only) a file path.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from typing import Final

from lingtan.errors import InvalidInput, NotFound
from lingtan.indicators.profiles import (
    SHIPPED,
    Profile,
    load_profile,
    merge_profile,
    parse_profile,
    shipped_profile,
)
from lingtan.store import Store
from lingtan.store.profiles_repo import ProfileRow, ProfilesRepo
from lingtan.timeutil import to_us, utcnow

ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
#: the largest profile text stored (a profile of a few dozen indicators is a few kB)
MAX_BYTES: Final = 256 * 1024


def _check_id(profile_id: str) -> None:
    if not re.match(ID_PATTERN, profile_id):
        raise InvalidInput(
            "a profile id is 1–64 letters, digits, '_', '.', '-' (starting with a letter or digit)",
            field="profile_id",
        )
    if profile_id in SHIPPED:
        raise InvalidInput(
            f"{profile_id!r} is a shipped profile: give the park's profile its own id",
            field="profile_id",
        )


def _parse(row: ProfileRow) -> Profile:
    return parse_profile(row.document, where=f"{row.profile_id}.yaml")


def _reader(
    store: Store, park_id: int, stored: dict[str, ProfileRow] | None = None
) -> Callable[[str], Profile]:
    rows = ProfilesRepo(store).latest(park_id=park_id) if stored is None else stored

    def read(name: str) -> Profile:
        if name in SHIPPED:
            return shipped_profile(name)
        if name in rows:
            return _parse(rows[name])
        raise NotFound(
            f"profile {name!r}: not a shipped profile ({', '.join(SHIPPED)}) nor one stored "
            "for the park"
        )

    return read


def upload(
    store: Store,
    *,
    park_id: int,
    profile_id: str,
    text: str,
    actor: str,
    reason: str | None = None,
) -> tuple[Profile, ProfileRow]:
    """Validate ``text`` and store it as a new version of the park's profile ``profile_id``
    (the document's ``id`` must be it; its ``version`` newer than the stored ones)."""
    _check_id(profile_id)
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise InvalidInput(f"a profile is at most {MAX_BYTES // 1024} kB", field="body")
    if reason is not None and len(reason) > 2000:
        raise InvalidInput("the reason is at most 2000 characters", field="reason")
    profile = parse_profile(text, where=f"{profile_id}.yaml")
    if profile.id != profile_id:
        raise InvalidInput(
            f"{profile_id}.yaml: id: the document's id {profile.id!r} is not {profile_id!r}",
            field="id",
        )
    # the inherited profiles exist, and the merged profile is consistent (park types)
    read = _reader(store, park_id)
    try:
        merged = merge_profile(profile, lambda n: profile if n == profile_id else read(n))
    except NotFound as err:
        raise InvalidInput(f"{profile_id}.yaml: inherits: {err}", field="inherits") from err
    now = to_us(utcnow())
    row = ProfilesRepo(store).add(
        park_id=park_id,
        profile_id=profile_id,
        version=profile.version,
        document=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        reason=reason,
        created_by=actor,
        created_at=now,
        audit={
            "at": now,
            "actor": actor,
            "action": "indicator_profile.upload",
            "entity": "indicator_profile",
            "after": {"profile_id": profile_id, "version": profile.version, "reason": reason},
        },
    )
    return merged, row


def stored(store: Store, *, park_id: int) -> list[tuple[Profile, ProfileRow]]:
    """The newest version of each of the park's profiles, merged with what they inherit."""
    read = _reader(store, park_id)
    rows = ProfilesRepo(store).latest(park_id=park_id)
    return [(merge_profile(_parse(r), read), r) for r in rows.values()]


def versions(store: Store, *, park_id: int, profile_id: str) -> list[ProfileRow]:
    """Every stored version of one of the park's profiles, oldest first (NotFound if none)."""
    rows = ProfilesRepo(store).versions(park_id=park_id, profile_id=profile_id)
    if not rows:
        raise NotFound(f"the park has no stored profile {profile_id!r}")
    return rows


def stored_profile(
    store: Store, *, park_id: int, profile_id: str, version: int | None = None
) -> tuple[Profile, ProfileRow]:
    """One stored profile (its newest version, or ``version``), merged."""
    rows = versions(store, park_id=park_id, profile_id=profile_id)
    chosen = [r for r in rows if version is None or r.version == version]
    if not chosen:
        raise NotFound(f"profile {profile_id!r} has no version {version}")
    return merge_profile(_parse(chosen[-1]), _reader(store, park_id)), chosen[-1]


def resolve_profiles(
    store: Store, park_id: int, names: Iterable[str], *, files: bool = False
) -> list[Profile]:
    """The profiles ``names`` name (duplicates once, in order): shipped ones, the park's stored
    ones, and — only with ``files`` (the CLI) — profile files by path."""
    rows = ProfilesRepo(store).latest(park_id=park_id)
    read = _reader(store, park_id, rows)
    out: list[Profile] = []
    for name in dict.fromkeys(names):
        if name in SHIPPED:
            out.append(load_profile(name))
        elif name in rows:
            out.append(merge_profile(_parse(rows[name]), read))
        elif not files:
            raise InvalidInput(
                f"unknown profile {name!r}: not a shipped profile ({', '.join(SHIPPED)}) nor "
                "one stored for the park (a profile file is evaluated with lingtan indicators "
                "--profile FILE, or stored with PUT /api/v1/indicators/profiles/{id})",
                field="profile",
            )
        else:
            out.append(load_profile(name))
    return out
