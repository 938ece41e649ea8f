"""How a newcomer gets in: the README's tour creates the first park admin before serving, with
a command that works, and the login page says how an administrator adds users."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lingtan.cli import app
from lingtan.config import Settings
from lingtan.identity import service as identity
from lingtan.store import open_store
from tests.api.world import World
from tests.web.test_pages import browser

README = Path(__file__).resolve().parents[2] / "README.md"


def _tour() -> list[str]:
    """The commands of the README's tour, without their comments."""
    text = README.read_text(encoding="utf-8")
    tour = text[text.index("## A short tour") :]
    block = re.search(r"```sh\n(.*?)```", tour, re.S)
    assert block, "the tour has no command block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_tour_creates_the_first_admin_before_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tour = _tour()
    adds = [i for i, c in enumerate(tour) if c.startswith("lingtan user add")]
    serves = [i for i, c in enumerate(tour) if c.startswith("lingtan serve")]
    assert adds and serves and adds[0] < serves[0], tour
    # the tour's own command line creates a park admin who can log in
    monkeypatch.setenv("LINGTAN_DATABASE_URL", f"sqlite:///{tmp_path / 'tour.db'}")
    monkeypatch.setenv("LINGTAN_ENVIRONMENT", "test")
    args = tour[adds[0]].split()[1:]
    result = CliRunner().invoke(app, args, input="tour-password-1\ntour-password-1\n")
    assert result.exit_code == 0, result.output
    username = args[args.index("--username") + 1]
    with open_store(f"sqlite:///{tmp_path / 'tour.db'}") as store:
        pair = identity.login(
            store, Settings(environment="test"), username=username, password="tour-password-1"
        )
    assert pair.user.role == "park_admin"


def test_the_readme_names_the_cjk_font_package() -> None:
    text = README.read_text(encoding="utf-8")
    assert "apt-get install fonts-noto-cjk" in text


@pytest.mark.parametrize(
    ("lang", "words"),
    [("zh-CN", ("管理员", "lingtan user add")), ("en", ("administrator", "lingtan user add"))],
)
def test_the_login_page_says_how_users_are_added(
    web_world: World, lang: str, words: tuple[str, ...]
) -> None:
    c = browser(web_world)
    c.get(f"/lang/{lang}")
    page = c.get("/login").text
    help_box = re.search(r'data-testid="login-help">(.*?)</div>', page, re.S)
    assert help_box, "the login page says nothing about accounts"
    for word in (*words, "POST /api/v1/users", "--role park_admin"):
        assert word in help_box.group(1), word
