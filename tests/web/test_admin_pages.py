"""The administration pages: users and roles, API keys (the secret shown once), the park's
options and targets, the park file (validated with errors at their lines, then applied) —
each form with the API's permissions and audit log, CSRF-checked, errors at their fields."""

from __future__ import annotations

import re

from lingtan.web.admin_pages import line_errors
from tests.api.walk import PARK_FILE, no_b_data
from tests.api.world import World
from tests.web.test_pages import csrf, log_in

#: a park file whose enterprise has a bad 统一社会信用代码 (line 8) and an unknown field (line 9)
BAD_PARK_FILE = PARK_FILE.replace(
    "enterprises: []",
    "enterprises:\n  - id: E77\n    name: 坏企业\n    uscc: not-a-code\n    colour: red",
)


def test_users_are_created_and_changed_on_screen(web_world: World) -> None:
    c = log_in(web_world, "admin")
    token = csrf(c.get("/users").text)
    new = {"csrf": token, "username": "web_new_user", "password": "a-long-password",
           "role": "enterprise_viewer", "enterprise_id": str(web_world.enterprises["E01"])}  # fmt: skip
    done = c.post("/users", data=new)
    assert done.status_code == 303, done.text
    page = c.get("/users").text
    assert 'data-user="web_new_user"' in page
    # a name the API refuses, and an enterprise role without an enterprise: errors at fields
    bad = c.post("/users", data={**new, "username": "x"})
    assert bad.status_code == 422 and 'data-testid="error-username"' in bad.text
    park_less = c.post("/users", data={**new, "username": "web_other", "enterprise_id": ""})
    assert park_less.status_code == 422 and 'data-testid="error-enterprise_id"' in park_less.text
    uid = web_world.client.get("/api/v1/users", headers=web_world.h("admin"),
                               params={"limit": 500}).json()["items"]  # fmt: skip
    user = next(u for u in uid if u["username"] == "web_new_user")
    changed = c.post(f"/users/{user['id']}", data={"csrf": token, "role": "enterprise_admin",
                                                    "active": "true"})  # fmt: skip
    assert changed.status_code == 303
    after = web_world.client.get(f"/api/v1/users/{user['id']}", headers=web_world.h("admin"))
    assert after.json()["role"] == "enterprise_admin" and after.json()["active"] is True
    audit = web_world.client.get("/api/v1/audit", headers=web_world.h("admin"),
                                 params={"actor": "user:admin", "limit": 200}).json()  # fmt: skip
    assert any("web_new_user" in str(e) for e in audit["items"])


def test_an_api_key_is_shown_once(web_world: World) -> None:
    c = log_in(web_world, "admin")
    token = csrf(c.get("/keys").text)
    made = c.post("/keys", data={"csrf": token, "name": "网页密钥", "scope": "read"})
    assert made.status_code == 201
    secret = re.search(r'data-testid="key-secret">([^<]+)<', made.text)
    assert secret is not None
    assert made.headers["cache-control"] == "no-store"
    # the key works, and the listing never shows it again
    ok = web_world.client.get("/api/v1/park", headers={"X-API-Key": secret.group(1)})
    assert ok.status_code == 200
    assert secret.group(1) not in c.get("/keys").text
    bad = c.post("/keys", data={"csrf": token, "name": "", "scope": "write"})
    assert bad.status_code == 422 and 'data-testid="error-scope"' in bad.text
    past = c.post("/keys", data={"csrf": token, "name": "old", "scope": "read",
                                 "expires_on": "2001-01-01"})  # fmt: skip
    assert past.status_code == 422 and 'data-testid="error-expires_on"' in past.text
    # revoke it: it stops working at once
    key = next(k for k in web_world.client.get("/api/v1/keys", headers=web_world.h("admin"),
               params={"limit": 500}).json()["items"] if k["name"] == "网页密钥")  # fmt: skip
    assert c.post(f"/keys/{key['id']}/revoke", data={"csrf": token}).status_code == 303
    gone = web_world.client.get("/api/v1/park", headers={"X-API-Key": secret.group(1)})
    assert gone.status_code == 401


def test_options_and_targets_are_changed_on_screen(web_world: World) -> None:
    c = log_in(web_world, "admin")
    page = c.get("/options").text
    token = csrf(page)
    version = int(re.search(r'data-testid="options-version">(\d+)<', page).group(1))
    bad = c.post("/options", data={"csrf": token, "completeness_threshold": "1.5"})
    assert bad.status_code == 422 and 'data-testid="error-completeness_threshold"' in bad.text
    year = c.post("/options", data={"csrf": token, "target_year": "abc"})
    assert year.status_code == 422 and 'data-testid="error-target_year"' in year.text
    done = c.post("/options", data={"csrf": token, "target_year": "2030",
                                    "reason": "网页测试", "expected_version": str(version)})  # fmt: skip
    assert done.status_code == 303, done.text
    api = web_world.client.get("/api/v1/options", headers=web_world.h("admin")).json()
    assert api["version"] == version + 1 and api["options"]["target_year"] == 2030
    assert api["changed_by"] == "user:admin" and api["reason"] == "网页测试"
    # a form of the version before is refused (someone changed the options meanwhile)
    stale = c.post("/options", data={"csrf": token, "target_year": "2035",
                                     "expected_version": str(version)})  # fmt: skip
    assert stale.status_code == 409


def test_the_park_file_is_validated_at_its_lines_then_applied(web_world: World) -> None:
    c = log_in(web_world, "admin")
    token = csrf(c.get("/park-file").text)
    bad = c.post("/park-file", data={"csrf": token, "action": "validate"},
                 files={"file": ("park.yaml", BAD_PARK_FILE.encode(), "application/yaml")})  # fmt: skip
    assert bad.status_code == 422
    lines = set(re.findall(r'data-testid="error-line-(\d+)"', bad.text))
    assert lines == {"8", "9"}, lines
    assert "not-a-code" in bad.text and 'id="line-8"' in bad.text
    broken = c.post("/park-file", data={"csrf": token, "text": "park:\n  id: [\n"})
    assert broken.status_code == 422 and 'href="#line-3"' in broken.text
    empty = c.post("/park-file", data={"csrf": token, "text": "  "})
    assert empty.status_code == 422 and 'data-testid="error-body"' in empty.text
    good = c.post("/park-file", data={"csrf": token, "action": "validate", "text": PARK_FILE})
    assert good.status_code == 200 and 'data-testid="valid"' in good.text
    assert 'data-testid="park-apply"' in good.text
    applied = c.post("/park-file", data={"csrf": token, "action": "apply", "text": PARK_FILE})
    assert applied.status_code == 200 and 'data-testid="applied"' in applied.text


def test_every_admin_form_needs_the_form_token(web_world: World) -> None:
    c = log_in(web_world, "admin")
    for path, data in (
        ("/users", {"username": "forged_user", "password": "a-long-password",
                    "role": "park_viewer"}),
        (f"/users/{web_world.users['viewer']}", {"active": "false"}),
        ("/keys", {"name": "forged", "scope": "read"}),
        (f"/keys/{web_world.b['key_id']}/revoke", {}),
        ("/options", {"target_year": "2040"}),
        ("/park-file", {"text": PARK_FILE, "action": "apply"}),
        ("/indicators/profiles", {"text": "id: forged", "profile_id": "forged"}),
    ):  # fmt: skip
        assert c.post(path, data={**data, "csrf": "forged"}).status_code == 403, path


def test_enterprise_users_manage_their_own_enterprise_only(web_world: World) -> None:
    a = log_in(web_world, "a_admin")
    page = a.get("/users")
    assert page.status_code == 200 and 'data-user="a_viewer"' in page.text
    no_b_data(web_world, page.text, "users")
    token = csrf(page.text)
    b = str(web_world.enterprises["E02"])
    other = a.post("/users", data={"csrf": token, "username": "a_into_b",
                                   "password": "a-long-password", "role": "enterprise_viewer",
                                   "enterprise_id": b})  # fmt: skip
    assert other.status_code == 403
    assert a.post(f"/users/{web_world.b['user_id']}",
                  data={"csrf": token, "active": "false"}).status_code == 404  # fmt: skip
    keys = a.get("/keys")
    assert keys.status_code == 200
    no_b_data(web_world, keys.text, "keys")
    assert a.post(f"/keys/{web_world.b['key_id']}/revoke",
                  data={"csrf": token}).status_code == 404  # fmt: skip
    # options and the park file are the park admin's: a notice, and a refused form
    assert 'data-testid="options-save"' not in a.get("/options").text
    assert a.post("/options", data={"csrf": token, "target_year": "2040"}).status_code == 403
    assert 'data-testid="not-allowed"' in a.get("/park-file").text
    assert a.post("/park-file", data={"csrf": token, "text": PARK_FILE}).status_code == 403
    viewer = log_in(web_world, "a_viewer")
    assert 'data-testid="not-allowed"' in viewer.get("/users").text
    assert (
        viewer.post("/keys", data={"csrf": token, "name": "x", "scope": "read"}).status_code == 403
    )


def test_park_file_errors_are_split_by_line() -> None:
    message = (
        "park file:8 enterprises[0].uscc: must have 18 characters\n"
        "park file:9 enterprises[0].colour: Extra inputs are not permitted\n"
        "park file:8 enterprises[0].name: too long"
    )
    assert line_errors(message) == (
        {
            8: ["enterprises[0].uscc: must have 18 characters", "enterprises[0].name: too long"],
            9: ["enterprises[0].colour: Extra inputs are not permitted"],
        },
        [],
    )
    yaml = "park file is not valid YAML at line 3: while parsing\n  in x, line 3, column 1"
    assert line_errors(yaml) == ({3: [yaml]}, [])
    assert line_errors("the park file is empty") == ({}, ["the park file is empty"])


def test_a_park_profile_is_uploaded_with_errors_at_their_lines(web_world: World) -> None:
    from tests.indicators.test_profiles import GOOD

    c = log_in(web_world, "admin")
    page = c.get("/indicators/profiles")
    assert page.status_code == 200 and 'data-testid="profile-form"' in page.text
    token = csrf(page.text)
    # a definition over an unknown quantity: the error at line 17 of the uploaded file
    bad = c.post(
        "/indicators/profiles",
        data={"csrf": token},
        files={"file": ("my-park.yaml", GOOD.replace("energy_tce\n", "fuel_tce\n").encode())},
    )
    assert bad.status_code == 422
    assert set(re.findall(r'data-testid="error-line-(\d+)"', bad.text)) == {"17"}
    assert "fuel_tce" in bad.text
    assert 'data-testid="profile-version-my-park-1"' not in bad.text  # nothing stored
    saved = c.post(
        "/indicators/profiles",
        data={"csrf": token, "reason": "方案 v1"},
        files={"file": ("my-park.yaml", GOOD.encode())},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and "saved=my-park:1" in saved.headers["location"]
    listed = c.get("/indicators/profiles").text
    assert 'data-testid="profile-version-my-park-1"' in listed and "方案 v1" in listed
    # the same version again is a conflict: a revision is a new version
    again = c.post(
        "/indicators/profiles", data={"csrf": token, "text": GOOD, "profile_id": "my-park"}
    )
    assert again.status_code == 409 and "version: 2 or later" in again.text
    # an enterprise user reads the list but gets no form and cannot store
    a = log_in(web_world, "a_admin")
    page_a = a.get("/indicators/profiles")
    assert 'data-testid="not-allowed"' in page_a.text
    assert (
        a.post("/indicators/profiles", data={"csrf": csrf(page_a.text), "text": GOOD}).status_code
        == 403
    )
