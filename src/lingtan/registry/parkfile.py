"""Reading a park file (YAML or TOML) into a :class:`ParkModel`.

Errors name the file, the line (YAML) and the field path, and state the rule broken, e.g.
``park.yaml:41 points[3].carrier: Input should be 'electricity_grid_import', …``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from lingtan.errors import InvalidInput
from lingtan.parsing import guarded
from lingtan.registry.model import ParkModel

Path_ = tuple[str | int, ...]


def _yaml_with_lines(text: str, name: str = "park file") -> tuple[Any, dict[Path_, int]]:
    """Parse YAML safely, returning the data and a map from field path to 1-based line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise InvalidInput(f"park file is not valid YAML at{line}: {err}") from err
    lines: dict[Path_, int] = {}

    def walk(node: yaml.Node | None, path: Path_) -> None:
        if node is None:
            return
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                # a key that is itself a list or mapping (``? [a, b]``) names no field
                name = key.value if isinstance(key, yaml.ScalarNode) else "?"
                lines[(*path, name)] = key.start_mark.line + 1
                walk(value, (*path, name))
                lines[(*path, name)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))
        elif isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:timestamp":
            dates.append((path, node))

    dates: list[tuple[Path_, yaml.ScalarNode]] = []
    walk(root, ())
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:  # composes, but cannot be built (an unhashable key, a tag …)
        raise InvalidInput(f"park file is not valid YAML: {err}") from err
    except ValueError as err:
        # a date-shaped scalar YAML cannot build (2019-13-01): name its line and field
        if str(err).startswith("Exceeds the limit"):
            raise
        for path, node in dates:
            try:
                yaml.SafeLoader(node.value).construct_yaml_timestamp(node)
            except ValueError as bad:
                raise InvalidInput(
                    f"{name}:{node.start_mark.line + 1} {_format_path(path)}: "
                    f"{node.value!r} is not a valid date ({bad})"
                ) from None
        raise InvalidInput(f"park file is not valid YAML: {err}") from err
    return data, lines


def _format_path(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def parse_park_text(text: str, *, fmt: str = "yaml", name: str = "park file") -> ParkModel:
    """Parse and validate park-file text in ``fmt`` (``yaml`` or ``toml``).

    Nesting deeper than the parsers' recursion and integers of more than 4,300 digits are
    refused as :class:`InvalidInput` like any other fault (:func:`lingtan.parsing.guarded`)."""
    return guarded(lambda: _parse(text, fmt, name), what=name, field="body")


def _parse(text: str, fmt: str, name: str) -> ParkModel:
    lines: dict[Path_, int] = {}
    if fmt == "toml":
        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise InvalidInput(f"{name} is not valid TOML: {err}") from err
    elif fmt in {"yaml", "yml"}:
        data, lines = _yaml_with_lines(text, name)
    else:
        raise InvalidInput(f"unknown park file format {fmt!r}; use .yaml, .yml or .toml")
    if not isinstance(data, dict):
        raise InvalidInput(
            f"{name}: the top level must be a mapping with park, enterprises, points"
        )
    try:
        return ParkModel.model_validate(data)
    except ValidationError as err:
        messages = []
        for e in err.errors():
            loc = tuple(
                p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-"))
            )
            line = None
            for cut in range(len(loc), -1, -1):
                line = lines.get(loc[:cut])
                if line is not None:
                    break
            where = f"{name}:{line}" if line is not None else name
            msg = e["msg"].removeprefix("Value error, ")
            messages.append(f"{where} {_format_path(loc)}: {msg}")
        raise InvalidInput(
            "\n".join(messages), field=_format_path(tuple(err.errors()[0]["loc"]))
        ) from err


def load_park_file(path: Path | str) -> ParkModel:
    """Read and validate the park file at ``path`` (.yaml, .yml or .toml)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise InvalidInput(f"cannot read park file {p}: {err.strerror}") from err
    return parse_park_text(text, fmt=p.suffix.lstrip(".").lower(), name=p.name)
