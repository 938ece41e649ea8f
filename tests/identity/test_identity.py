"""Users, passwords, tokens, lockout and API keys (service level, SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import jwt
import pytest
from sqlalchemy import select

from lingtan.config import Settings
from lingtan.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from lingtan.identity import passwords, tokens
from lingtan.identity import service as identity
from lingtan.identity.errors import AccountLocked, NotAuthenticated
from lingtan.identity.roles import SYSTEM, Principal, Role
from lingtan.store import Store
from lingtan.store import schema as s
from lingtan.timeutil import SECOND_US, to_us, utcnow

PASSWORD = "a-good-password"


@pytest.fixture
def settings() -> Settings:
    return Settings(
        environment="test", lockout_threshold=3, lockout_minutes=15, access_token_minutes=15
    )


def _ids(store: Store) -> dict[str, int]:
    park = store.registry.park()
    return {e.code: e.id for e in store.registry.enterprises(park.id)}


def _user(store: Store, name: str, role: str, enterprise: int | None = None) -> identity.UserInfo:
    return identity.create_user(
        store, actor=SYSTEM, username=name, password=PASSWORD, role=role, enterprise_id=enterprise
    )


def test_password_is_stored_as_argon2id_and_verifies(loaded: Store) -> None:
    info = _user(loaded, "alice", "park_admin")
    with loaded.begin() as conn:
        stored = conn.execute(
            select(s.app_user.c.password_hash).where(s.app_user.c.id == info.id)
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert passwords.verify_password(stored, PASSWORD)
    assert not passwords.verify_password(stored, PASSWORD + "x")
    assert not passwords.verify_password(None, PASSWORD)


def test_login_gives_a_short_lived_signed_token_and_a_refresh_token(
    loaded: Store, settings: Settings
) -> None:
    _user(loaded, "alice", "park_viewer")
    pair = identity.login(loaded, settings, username="alice", password=PASSWORD)
    header = jwt.get_unverified_header(pair.access_token)
    claims = jwt.decode(pair.access_token, options={"verify_signature": False})
    assert header["alg"] == "HS256"
    assert claims["exp"] - claims["iat"] == 15 * 60 == pair.expires_in
    assert claims["role"] == "park_viewer"
    principal = identity.principal_from_access_token(loaded, settings, token=pair.access_token)
    assert principal.subject == "alice" and principal.role is Role.PARK_VIEWER
    other = Settings(environment="test", secret_key="another-secret-that-is-long-enough-32")
    with pytest.raises(NotAuthenticated):
        identity.principal_from_access_token(loaded, other, token=pair.access_token)


def test_expired_access_token_is_refused(loaded: Store, settings: Settings) -> None:
    info = _user(loaded, "alice", "park_viewer")
    past = to_us(utcnow()) // SECOND_US - 3600
    token = tokens.issue_access_token(
        secret=settings.secret_key,
        user_id=info.id,
        username="alice",
        role="park_viewer",
        version=0,
        now_s=past,
        ttl_s=60,
    )
    with pytest.raises(NotAuthenticated, match="expired"):
        identity.principal_from_access_token(loaded, settings, token=token)


def test_lockout_after_repeated_failures_refuses_even_the_right_password(
    loaded: Store, settings: Settings
) -> None:
    _user(loaded, "alice", "park_viewer")
    t0 = to_us(utcnow())
    for _ in range(settings.lockout_threshold):
        with pytest.raises(NotAuthenticated) as err:
            identity.login(loaded, settings, username="alice", password="wrong", now=t0)
        assert not isinstance(err.value, AccountLocked)
    with pytest.raises(AccountLocked) as locked:
        identity.login(loaded, settings, username="alice", password=PASSWORD, now=t0 + SECOND_US)
    assert 0 < locked.value.retry_after_s <= 15 * 60
    later = t0 + (15 * 60 + 1) * SECOND_US
    assert identity.login(loaded, settings, username="alice", password=PASSWORD, now=later)
    entries = loaded.audit.list(entity="user")
    assert any(e["action"] == "lock" for e in entries)


def test_success_resets_the_failure_count(loaded: Store, settings: Settings) -> None:
    _user(loaded, "alice", "park_viewer")
    for _ in range(settings.lockout_threshold - 1):
        with pytest.raises(NotAuthenticated):
            identity.login(loaded, settings, username="alice", password="wrong")
    identity.login(loaded, settings, username="alice", password=PASSWORD)
    for _ in range(settings.lockout_threshold - 1):
        with pytest.raises(NotAuthenticated):
            identity.login(loaded, settings, username="alice", password="wrong")
    assert identity.login(loaded, settings, username="alice", password=PASSWORD)


def test_unknown_user_and_wrong_password_look_the_same(loaded: Store, settings: Settings) -> None:
    _user(loaded, "alice", "park_viewer")
    with pytest.raises(NotAuthenticated) as a:
        identity.login(loaded, settings, username="nobody", password=PASSWORD)
    with pytest.raises(NotAuthenticated) as b:
        identity.login(loaded, settings, username="alice", password="wrong")
    assert str(a.value) == str(b.value)


def _answers(store: Store, settings: Settings, name: str, t0: int, n: int) -> list[str]:
    """What ``n`` wrong-password logins as ``name`` one second apart are told."""
    out = []
    for i in range(n):
        try:
            identity.login(store, settings, username=name, password="wrong", now=t0 + i * SECOND_US)
        except AccountLocked as err:
            out.append(f"locked {err.retry_after_s}")
        except NotAuthenticated as err:
            out.append(str(err))
    return out


def test_names_without_an_account_lock_like_accounts(loaded: Store, settings: Settings) -> None:
    """Unknown and deactivated names are answered exactly like a real account: the lock
    after three failures (settings) cannot be used to tell which usernames exist."""
    _user(loaded, "alice", "park_viewer")
    gone = _user(loaded, "gone", "park_viewer")
    identity.update_user(loaded, actor=SYSTEM, user_id=gone.id, active=False)
    t0 = to_us(utcnow())
    wrong = "incorrect username or password"
    # 3 failures lock for 15 min; the 4th attempt, 3 s after the first, waits 15 min − 1 s
    expected = [wrong, wrong, wrong, f"locked {15 * 60 - 1}"]
    for name in ("alice", "nobody", "gone"):
        assert _answers(loaded, settings, name, t0, 4) == expected, name
    with pytest.raises(AccountLocked):  # the lock holds against the right password too
        identity.login(loaded, settings, username="gone", password=PASSWORD, now=t0 + 5 * SECOND_US)


def test_failures_older_than_the_lockout_window_are_forgotten(
    loaded: Store, settings: Settings
) -> None:
    """Two failures, a pause longer than the 15-minute window, then two more: no lock, for
    an account and for a name without one alike."""
    _user(loaded, "alice", "park_viewer")
    t0 = to_us(utcnow())
    later = t0 + (15 * 60 + 10) * SECOND_US
    wrong = "incorrect username or password"
    for name in ("alice", "nobody"):
        assert _answers(loaded, settings, name, t0, 2) == [wrong, wrong]
        assert _answers(loaded, settings, name, later, 2) == [wrong, wrong], name
        # ... and the third in a row within the window locks
        assert _answers(loaded, settings, name, later + 2 * SECOND_US, 2) == [
            wrong,
            f"locked {15 * 60 - 1}",
        ]


def test_admin_unlocks_a_locked_user(loaded: Store, settings: Settings) -> None:
    info = _user(loaded, "alice", "park_viewer")
    for _ in range(settings.lockout_threshold):
        with pytest.raises(NotAuthenticated):
            identity.login(loaded, settings, username="alice", password="wrong")
    with pytest.raises(AccountLocked):
        identity.login(loaded, settings, username="alice", password=PASSWORD)
    identity.update_user(loaded, actor=SYSTEM, user_id=info.id, unlock=True)
    assert identity.login(loaded, settings, username="alice", password=PASSWORD)


def test_refresh_rotates_and_a_reused_token_revokes_the_family(
    loaded: Store, settings: Settings
) -> None:
    _user(loaded, "alice", "park_viewer")
    first = identity.login(loaded, settings, username="alice", password=PASSWORD)
    second = identity.refresh(loaded, settings, refresh_token=first.refresh_token)
    assert second.refresh_token != first.refresh_token
    with pytest.raises(NotAuthenticated):  # replay of a rotated token
        identity.refresh(loaded, settings, refresh_token=first.refresh_token)
    with pytest.raises(NotAuthenticated):  # ... revoked the live one too
        identity.refresh(loaded, settings, refresh_token=second.refresh_token)


def test_refresh_tokens_are_stored_as_digests(loaded: Store, settings: Settings) -> None:
    _user(loaded, "alice", "park_viewer")
    pair = identity.login(loaded, settings, username="alice", password=PASSWORD)
    with loaded.begin() as conn:
        stored = conn.execute(select(s.refresh_token.c.token_hash)).scalars().all()
    assert stored == [tokens.digest(pair.refresh_token)]


def test_deactivation_and_role_change_apply_at_once(loaded: Store, settings: Settings) -> None:
    info = _user(loaded, "alice", "park_admin")
    pair = identity.login(loaded, settings, username="alice", password=PASSWORD)
    identity.update_user(loaded, actor=SYSTEM, user_id=info.id, display_name="Alice")
    # a change that grants or takes nothing leaves the session alone
    assert identity.principal_from_access_token(loaded, settings, token=pair.access_token)
    identity.update_user(loaded, actor=SYSTEM, user_id=info.id, role="park_viewer")
    with pytest.raises(NotAuthenticated, match="sign in again"):  # the admin token ended
        identity.principal_from_access_token(loaded, settings, token=pair.access_token)
    with pytest.raises(NotAuthenticated):  # the role change revoked the refresh token
        identity.refresh(loaded, settings, refresh_token=pair.refresh_token)
    again = identity.login(loaded, settings, username="alice", password=PASSWORD)
    p = identity.principal_from_access_token(loaded, settings, token=again.access_token)
    assert p.role is Role.PARK_VIEWER
    identity.update_user(loaded, actor=SYSTEM, user_id=info.id, active=False)
    with pytest.raises(NotAuthenticated):
        identity.principal_from_access_token(loaded, settings, token=again.access_token)
    with pytest.raises(NotAuthenticated):
        identity.login(loaded, settings, username="alice", password=PASSWORD)


def test_a_password_change_ends_every_older_session(loaded: Store, settings: Settings) -> None:
    """Access tokens issued before a password change are refused, whoever changed it."""
    info = _user(loaded, "alice", "park_viewer")
    laptop = identity.login(loaded, settings, username="alice", password=PASSWORD)
    phone = identity.login(loaded, settings, username="alice", password=PASSWORD)
    me = identity.principal_from_access_token(loaded, settings, token=laptop.access_token)
    identity.change_own_password(
        loaded, principal=me, current_password=PASSWORD, new_password="b-new-password", now=None
    )
    for pair in (laptop, phone):
        with pytest.raises(NotAuthenticated, match="sign in again"):
            identity.principal_from_access_token(loaded, settings, token=pair.access_token)
        with pytest.raises(NotAuthenticated):
            identity.refresh(loaded, settings, refresh_token=pair.refresh_token)
    fresh = identity.login(loaded, settings, username="alice", password="b-new-password")
    assert identity.principal_from_access_token(loaded, settings, token=fresh.access_token)
    # an administrator setting the password ends the sessions in the same way
    identity.update_user(loaded, actor=SYSTEM, user_id=info.id, password="c-new-password")
    with pytest.raises(NotAuthenticated, match="sign in again"):
        identity.principal_from_access_token(loaded, settings, token=fresh.access_token)


def test_a_reused_refresh_token_also_ends_the_access_tokens(
    loaded: Store, settings: Settings
) -> None:
    """A replayed refresh token means it was copied: the thief's access token dies too."""
    _user(loaded, "alice", "park_viewer")
    first = identity.login(loaded, settings, username="alice", password=PASSWORD)
    second = identity.refresh(loaded, settings, refresh_token=first.refresh_token)
    with pytest.raises(NotAuthenticated):
        identity.refresh(loaded, settings, refresh_token=first.refresh_token)
    with pytest.raises(NotAuthenticated, match="sign in again"):
        identity.principal_from_access_token(loaded, settings, token=second.access_token)


def during_password_check(monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> None:
    """Run ``action`` once, right after the next password check (which runs outside any
    transaction, as hashing is slow): what another request may do meanwhile."""
    check = passwords.verify_password
    pending = [action]

    def check_then_act(stored: str | None, password: str) -> bool:
        ok = check(stored, password)
        while pending:
            pending.pop()()
        return ok

    monkeypatch.setattr(passwords, "verify_password", check_then_act)


def test_a_password_reset_while_signing_in_voids_the_sign_in(
    loaded: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The slow password check runs outside any transaction: an administrator may reset the
    password meanwhile, and the old password must not yield a session after all."""
    info = _user(loaded, "alice", "park_admin")
    during_password_check(
        monkeypatch,
        lambda: identity.update_user(
            loaded, actor=SYSTEM, user_id=info.id, password="reset-by-admin"
        ),
    )
    with pytest.raises(NotAuthenticated, match="sign in again"):
        identity.login(loaded, settings, username="alice", password=PASSWORD)
    with loaded.begin() as conn:
        live = conn.execute(
            select(s.refresh_token).where(s.refresh_token.c.revoked_at.is_(None))
        ).all()
    assert live == []
    assert identity.login(loaded, settings, username="alice", password="reset-by-admin")


def test_guesses_that_lock_the_account_during_a_sign_in_also_stop_it(
    loaded: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the right password is being checked, parallel wrong guesses reach the threshold:
    the lock holds for the right password too, and is not lifted by it."""
    _user(loaded, "alice", "park_admin")

    def others_guess() -> None:
        for _ in range(settings.lockout_threshold):
            with pytest.raises(NotAuthenticated):
                identity.login(loaded, settings, username="alice", password="a-wrong-guess")

    during_password_check(monkeypatch, others_guess)
    with pytest.raises(AccountLocked):
        identity.login(loaded, settings, username="alice", password=PASSWORD)
    with loaded.begin() as conn:
        locked = conn.execute(
            select(s.app_user.c.locked_until).where(s.app_user.c.username == "alice")
        ).scalar_one()
    assert locked is not None and locked > to_us(utcnow())


def test_a_rehash_does_not_void_a_sign_in_running_beside_it(
    loaded: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A login that rehashes the same password (new hashing parameters) changes no session:
    a login running alongside still succeeds."""
    info = _user(loaded, "alice", "park_viewer")

    def another_login_rehashes() -> None:
        with loaded.begin() as conn:  # as a login with new hashing parameters leaves it
            conn.execute(
                s.app_user.update()
                .where(s.app_user.c.id == info.id)
                .values(password_hash=passwords.hash_password(PASSWORD))
            )

    during_password_check(monkeypatch, another_login_rehashes)
    assert identity.login(loaded, settings, username="alice", password=PASSWORD)


def test_a_refresh_token_written_after_its_sessions_ended_is_refused(
    loaded: Store, settings: Settings
) -> None:
    """On PostgreSQL a login or rotation may commit its refresh token just after a password
    change ended the sessions without seeing it: the token's version gives it away."""
    info = _user(loaded, "alice", "park_viewer")
    racing = identity.login(loaded, settings, username="alice", password=PASSWORD)
    with loaded.begin() as conn:  # the state such a race leaves: version raised, token live
        conn.execute(
            s.app_user.update()
            .where(s.app_user.c.id == info.id)
            .values(token_version=s.app_user.c.token_version + 1)
        )
    with pytest.raises(NotAuthenticated):
        identity.refresh(loaded, settings, refresh_token=racing.refresh_token)
    fresh = identity.login(loaded, settings, username="alice", password=PASSWORD)
    assert identity.refresh(loaded, settings, refresh_token=fresh.refresh_token)


def test_a_stale_tab_does_not_end_the_session_opened_since(
    loaded: Store, settings: Settings
) -> None:
    """A token that ended with its sessions (here a role change) is refused when an old tab
    presents it, but it is not taken for a stolen one: the new session survives."""
    info = _user(loaded, "alice", "park_admin")
    laptop = identity.login(loaded, settings, username="alice", password=PASSWORD)
    identity.update_user(loaded, actor=SYSTEM, user_id=info.id, role="park_viewer")
    phone = identity.login(loaded, settings, username="alice", password=PASSWORD)
    with pytest.raises(NotAuthenticated):
        identity.refresh(loaded, settings, refresh_token=laptop.refresh_token)
    assert identity.principal_from_access_token(loaded, settings, token=phone.access_token)
    assert identity.refresh(loaded, settings, refresh_token=phone.refresh_token)


def test_an_access_token_without_a_version_is_refused(loaded: Store, settings: Settings) -> None:
    info = _user(loaded, "alice", "park_viewer")
    now_s = to_us(utcnow()) // SECOND_US
    claims = {"iss": "lingtan", "sub": str(info.id), "role": "park_viewer", "typ": "access"}
    key = tokens._signing_key(settings.secret_key)
    unversioned = jwt.encode({**claims, "iat": now_s, "exp": now_s + 60}, key, algorithm="HS256")
    with pytest.raises(NotAuthenticated):
        identity.principal_from_access_token(loaded, settings, token=unversioned)
    versioned = jwt.encode(
        {**claims, "iat": now_s, "exp": now_s + 60, "ver": 0}, key, algorithm="HS256"
    )
    assert (
        identity.principal_from_access_token(loaded, settings, token=versioned).user_id == info.id
    )


def test_roles_and_enterprise_binding(loaded: Store) -> None:
    e = _ids(loaded)
    with pytest.raises(InvalidInput, match="needs an enterprise"):
        _user(loaded, "ev1", "enterprise_viewer")
    with pytest.raises(InvalidInput, match="whole park"):
        _user(loaded, "pv1", "park_viewer", e["E01"])
    with pytest.raises(InvalidInput, match="unknown role"):
        _user(loaded, "x1", "superuser")
    with pytest.raises(NotFound):
        _user(loaded, "ev1", "enterprise_viewer", 999_999)
    _user(loaded, "ev1", "enterprise_viewer", e["E01"])
    with pytest.raises(Conflict):
        _user(loaded, "ev1", "enterprise_viewer", e["E01"])
    with pytest.raises(InvalidInput, match="at least"):
        identity.create_user(
            loaded, actor=SYSTEM, username="shorty", password="short", role="auditor"
        )


def test_enterprise_admin_manages_its_own_enterprise_only(loaded: Store) -> None:
    e = _ids(loaded)
    admin_a = _user(loaded, "admin_a", "enterprise_admin", e["E01"])
    b_user = _user(loaded, "viewer_b", "enterprise_viewer", e["E02"])
    actor = Principal("admin_a", Role.ENTERPRISE_ADMIN, e["E01"], user_id=admin_a.id)
    made = identity.create_user(
        loaded, actor=actor, username="viewer_a", password=PASSWORD, role="enterprise_viewer"
    )
    assert made.enterprise_id == e["E01"]
    with pytest.raises(PermissionDenied):
        identity.create_user(
            loaded,
            actor=actor,
            username="viewer_b2",
            password=PASSWORD,
            role="enterprise_viewer",
            enterprise_id=e["E02"],
        )
    with pytest.raises(PermissionDenied):
        identity.create_user(
            loaded, actor=actor, username="boss", password=PASSWORD, role="park_admin"
        )
    with pytest.raises(NotFound):
        identity.get_user(loaded, actor=actor, user_id=b_user.id)
    with pytest.raises(NotFound):
        identity.update_user(loaded, actor=actor, user_id=b_user.id, active=False)
    users, total = identity.list_users(loaded, actor=actor, limit=100, offset=0)
    assert {u.username for u in users} == {"admin_a", "viewer_a"} and total == 2


def test_api_key_secret_is_shown_once_and_stored_as_a_digest(loaded: Store) -> None:
    info, secret = identity.create_api_key(loaded, actor=SYSTEM, name="gateway 1", scope="ingest")
    assert secret.startswith(f"lt_{info.prefix}_")
    with loaded.begin() as conn:
        row = conn.execute(select(s.api_key)).one()
    assert secret not in json.dumps([str(v) for v in row])
    p = identity.principal_from_api_key(loaded, key=secret)
    assert p.role is Role.INTEGRATOR and p.points is None
    identity.revoke_api_key(loaded, actor=SYSTEM, key_id=info.id)
    with pytest.raises(NotAuthenticated):
        identity.principal_from_api_key(loaded, key=secret)
    with pytest.raises(NotAuthenticated):
        identity.principal_from_api_key(
            loaded, key=secret[:-1] + ("A" if secret[-1] != "A" else "B")
        )


def test_an_api_key_stops_working_when_it_expires(loaded: Store) -> None:
    t0 = to_us(utcnow())
    day = 86_400 * SECOND_US
    info, secret = identity.create_api_key(
        loaded, actor=SYSTEM, name="pilot", scope="read", expires_at=t0 + 30 * day, now=t0
    )
    assert info.expires_at == t0 + 30 * day
    assert identity.principal_from_api_key(loaded, key=secret, now=t0 + 30 * day - 1)
    with pytest.raises(NotAuthenticated, match="expired"):
        identity.principal_from_api_key(loaded, key=secret, now=t0 + 30 * day)
    for bad in (t0, t0 - day, t0 + 3654 * day):  # now, the past, beyond ten years
        with pytest.raises(InvalidInput, match="expires_at"):
            identity.create_api_key(
                loaded, actor=SYSTEM, name="bad", scope="read", expires_at=bad, now=t0
            )
    forever, _ = identity.create_api_key(loaded, actor=SYSTEM, name="collector", scope="ingest")
    assert forever.expires_at is None


def test_api_key_scopes(loaded: Store) -> None:
    e = _ids(loaded)
    _, secret = identity.create_api_key(
        loaded, actor=SYSTEM, name="meter E01", scope="ingest", points=["E01-main"]
    )
    p = identity.principal_from_api_key(loaded, key=secret)
    assert p.points == frozenset({"E01-main"})
    _, read_secret = identity.create_api_key(
        loaded, actor=SYSTEM, name="BI", scope="read", enterprise_id=e["E02"]
    )
    reader = identity.principal_from_api_key(loaded, key=read_secret)
    assert reader.role is Role.ENTERPRISE_VIEWER and reader.enterprise_id == e["E02"]
    with pytest.raises(InvalidInput, match="points"):
        identity.create_api_key(
            loaded,
            actor=SYSTEM,
            name="wrong",
            scope="ingest",
            enterprise_id=e["E02"],
            points=["E01-main"],
        )
    with pytest.raises(InvalidInput, match="points"):
        identity.create_api_key(loaded, actor=SYSTEM, name="r", scope="read", points=["E01-main"])


def test_secrets_never_reach_the_audit_log_or_the_log(
    loaded: Store, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    info = _user(loaded, "alice", "park_admin")
    pair = identity.login(loaded, settings, username="alice", password=PASSWORD)
    _, key = identity.create_api_key(loaded, actor=SYSTEM, name="k", scope="read")
    identity.update_user(loaded, actor=SYSTEM, user_id=info.id, password="another-good-password")
    audit = json.dumps(loaded.audit.list(limit=1000), ensure_ascii=False, default=str)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (PASSWORD, "another-good-password", pair.access_token, pair.refresh_token, key):
        assert secret not in audit
        assert secret not in logged
    update = next(e for e in loaded.audit.list(entity="user") if e["action"] == "update")
    assert json.loads(update["after"])["changed"] == ["password"]


def test_concurrent_failed_logins_all_count(loaded: Store) -> None:
    """Failures racing each other are each counted: 8 wrong passwords at once against a
    threshold of 3 lock the account (a read-then-write counter would lose increments)."""
    import concurrent.futures
    import threading

    settings = Settings(environment="test", lockout_threshold=3, lockout_minutes=15)
    _user(loaded, "alice", "park_viewer")
    start = threading.Barrier(8)

    def attempt(_: int) -> str:
        start.wait()
        try:
            identity.login(loaded, settings, username="alice", password="wrong-password")
        except AccountLocked:
            return "locked"
        except NotAuthenticated:
            return "refused"
        return "accepted"

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    assert "accepted" not in outcomes
    with pytest.raises(AccountLocked):
        identity.login(loaded, settings, username="alice", password=PASSWORD)
    with loaded.begin() as conn:
        locked_until = conn.execute(
            select(s.app_user.c.locked_until).where(s.app_user.c.username == "alice")
        ).scalar_one()
    assert locked_until is not None


def test_a_refresh_token_is_exchanged_once_even_concurrently(
    loaded: Store, settings: Settings
) -> None:
    import concurrent.futures
    import threading

    _user(loaded, "alice", "park_viewer")
    token = identity.login(loaded, settings, username="alice", password=PASSWORD).refresh_token
    start = threading.Barrier(6)

    def exchange(_: int) -> bool:
        start.wait()
        try:
            identity.refresh(loaded, settings, refresh_token=token)
        except NotAuthenticated:
            return False
        return True

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        wins = sum(pool.map(exchange, range(6)))
    assert wins == 1


def test_an_overlong_password_is_refused_without_hashing(loaded: Store, settings: Settings) -> None:
    _user(loaded, "alice", "park_viewer")
    with pytest.raises(NotAuthenticated):
        identity.login(loaded, settings, username="alice", password=PASSWORD + "x" * 10_000)
    assert not passwords.verify_password(None, "x" * (passwords.MAX_LENGTH + 1))


def test_guessing_the_current_password_counts_towards_the_lockout(
    loaded: Store, settings: Settings
) -> None:
    info = _user(loaded, "alice", "park_viewer")
    me = Principal("alice", Role.PARK_VIEWER, None, user_id=info.id)
    for _ in range(settings.lockout_threshold):
        with pytest.raises(InvalidInput):
            identity.change_own_password(
                loaded,
                principal=me,
                current_password="a-wrong-guess",
                new_password="a-new-password-1",
                settings=settings,
            )
    # locked: neither the right current password nor a login works any more
    with pytest.raises(AccountLocked):
        identity.change_own_password(
            loaded,
            principal=me,
            current_password=PASSWORD,
            new_password="a-new-password-1",
            settings=settings,
        )
    with pytest.raises(AccountLocked):
        identity.login(loaded, settings, username="alice", password=PASSWORD)
