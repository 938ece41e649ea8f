"""Reading the data files shipped with lingtan (trusted YAML: factors, wording).

PyYAML's pure-Python loader took about 0.5 s for the factor library and the wording table,
which every process paid on its first page or report; ``CSafeLoader`` (PyYAML built with
libyaml, as its wheels are) reads the same safe schema several times faster. Untrusted text
goes through :mod:`lingtan.parsing` instead.
"""

from __future__ import annotations

from typing import Any

import yaml

#: the C loader when PyYAML has libyaml, else the pure-Python one (the same schema)
LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """A shipped YAML document."""
    return yaml.load(text, Loader=LOADER)  # noqa: S506 - a safe loader (SafeLoader or its C twin)
