"""The ``lingtan`` command line (typer).

Each module of this package that defines ``register(app)`` adds its commands; the modules are
discovered here so that a domain's commands live beside each other and nowhere else.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

app = typer.Typer(
    name="lingtan",
    help="零碳 lingtan — park energy-carbon management platform (园区能碳管理平台).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _register_all() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_all()

# temporary (issue 14): the alarm engine owns the ``alarms`` group and calls register_notify
# itself when the two are merged
from lingtan.cli.notify import register_notify  # noqa: E402

_alarms_app = typer.Typer(help="Alarms and their notifications (告警与通知).", no_args_is_help=True)
register_notify(_alarms_app)
app.add_typer(_alarms_app, name="alarms")


def main() -> None:
    """Console-script entry point."""
    app()
