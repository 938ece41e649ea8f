"""CLI start-up benchmark: wall time of ``lingtan`` commands against bare Python.

Each command runs ``--repeat`` times in a new process (interleaved with the others, so that all
see the same machine load); the median wall time is printed with its ratio to the baseline
``python -c pass`` measured in the same run, and against the target (well under a second):

- ``lingtan --help``, ``lingtan quarantine --help``, ``lingtan stats --help``: only the command
  registration (typer) — nothing should import pvlib, pandas, scipy, plotly, openpyxl, FastAPI,
  uvicorn, pymodbus or aiomqtt;
- ``lingtan quarantine`` and ``lingtan stats POINT --from --to`` against a small SQLite store
  made beforehand (not timed): start-up plus opening the store.

Then the imports of ``import lingtan.cli`` (``python -X importtime``): the total, the largest
by cumulative time, and whether any heavy library is among them. Usage::

    python bench/cli_startup.py [--repeat 7] [--top 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: libraries the commands above must not import at start-up
HEAVY = (
    "pvlib",
    "pandas",
    "scipy",
    "plotly",
    "openpyxl",
    "fastapi",
    "uvicorn",
    "pymodbus",
    "aiomqtt",
    "schemathesis",
    "highspy",
)
TARGET_S = 1.0
PARK = """\
park: {id: bench, name: 基准园区, province: 江苏}
points:
  - {id: m1, carrier: electricity_grid_import, kind: total_increasing, unit: kWh}
"""


def lingtan_command() -> list[str]:
    """The installed console script beside this interpreter (or the same entry point)."""
    script = Path(sys.executable).with_name("lingtan")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from lingtan.cli import main; main()"]


def wall(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from start to exit of one process; a failure stops the benchmark."""
    began = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr.decode(errors='replace')}")
    return elapsed


def import_times(env: dict[str, str]) -> list[tuple[int, int, str]]:
    """(self µs, cumulative µs, module) of every import of ``import lingtan.cli``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import lingtan.cli"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        if own.strip().isdigit():
            rows.append((int(own), int(cumulative), name.rstrip()))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    lingtan = lingtan_command()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "LINGTAN_DATA_DIR": tmp}
        env.pop("LINGTAN_DATABASE_URL", None)
        park = Path(tmp) / "park.yaml"
        park.write_text(PARK, encoding="utf-8")
        wall([*lingtan, "init", "--park", str(park)], env)  # the store, migrated (not timed)
        runs: dict[str, list[str]] = {
            "python -c pass (baseline)": [sys.executable, "-c", "pass"],
            "lingtan --help": [*lingtan, "--help"],
            "lingtan quarantine --help": [*lingtan, "quarantine", "--help"],
            "lingtan stats --help": [*lingtan, "stats", "--help"],
            "lingtan quarantine": [*lingtan, "quarantine"],
            "lingtan stats m1 --from … --to …": [
                *lingtan,
                "stats",
                "m1",
                "--from",
                "2025-01-01",
                "--to",
                "2025-01-02",
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.repeat):
            for name, argv in runs.items():
                times[name].append(wall(argv, env))
        imports = import_times(env)
    base = statistics.median(times["python -c pass (baseline)"])
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; median of {args.repeat} "
          "runs each, interleaved", flush=True)  # fmt: skip
    for name, values in times.items():
        med = statistics.median(values)
        if name.startswith("python"):
            print(f"  {name:34s} {med * 1000:7.0f} ms")
            continue
        verdict = "meets" if med < TARGET_S else "MISSES"
        print(f"  {name:34s} {med * 1000:7.0f} ms  ratio to baseline {med / base:5.1f}×  "
              f"(min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f} ms) — {verdict} "
              f"the < {TARGET_S:.0f} s target")  # fmt: skip
    total = next((c for _, c, n in imports if n.strip() == "lingtan.cli"), 0)
    print(f"import lingtan.cli: {total / 1000:.0f} ms cumulative (python -X importtime); "
          f"the {args.top} largest imports by cumulative time:")  # fmt: skip
    for own, cumulative, name in sorted(imports, key=lambda r: -r[1])[: args.top]:
        print(f"  {cumulative / 1000:7.1f} ms  (self {own / 1000:6.1f} ms)  {name}")
    loaded = {n.strip().split(".")[0] for _, _, n in imports}
    heavy = [h for h in HEAVY if h in loaded]
    print("heavy libraries imported at start-up: " + (", ".join(heavy) if heavy else "none"))


if __name__ == "__main__":
    main()
