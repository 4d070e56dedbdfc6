"""WeasyPrint imported in a ketab process opens its C libraries without starting a process, and the same files."""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = """
import json, subprocess, sys
started = []
real = subprocess.Popen.__init__
def counting(self, *args, **kwargs):
    started.append(str(args[0] if args else kwargs.get("args")))
    real(self, *args, **kwargs)
subprocess.Popen.__init__ = counting
if sys.argv[1] == "ketab":
    import ketab  # noqa: F401
import weasyprint  # noqa: F401
libs = sorted({line.split()[-1] for line in open("/proc/self/maps")
               if any(k in line for k in ("pango", "harfbuzz", "gobject", "fontconfig", "glib"))})
print(json.dumps({"started": started, "libs": libs}))
"""


def _probe(mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_weasyprint_through_ketab_starts_no_process_and_loads_the_same_libraries():
    plain, through_ketab = _probe("plain"), _probe("ketab")
    assert plain["started"], "WeasyPrint alone no longer searches for its libraries: the hook can go"
    assert through_ketab["started"] == []
    assert through_ketab["libs"] == plain["libs"] and any("harfbuzz-subset" in lib for lib in plain["libs"])
