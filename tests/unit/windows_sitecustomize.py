"""Windows, as far as the project's own code can tell: copied as sitecustomize.py into a folder on PYTHONPATH, so that
every Python process started with that PYTHONPATH runs under it, the training workers the engine spawns included.

For code in lenet/, pages/, studio/ and app.py, the POSIX-only modules cannot be imported and the POSIX-only names of
`os` and `signal` do not exist. Libraries (psutil, filelock, TensorFlow, Streamlit) keep what they see: on Windows
they run their own Windows code, which this Linux machine cannot run, so what is tested is that our code never
reaches for a POSIX-only module or name. Each process that starts under it appends its pid to the file named by
LENET_SIMULATION_LOG, so a test can tell that a worker ran simulated too.
"""

import builtins
import os
import sys
import types
from pathlib import Path

ROOT = Path(os.environ["LENET_SIMULATED_ROOT"])
OURS = tuple(str(ROOT / name) + os.sep for name in ("lenet", "pages", "studio")) + (str(ROOT / "app.py"),)
REMOVED_MODULES = ("fcntl", "resource", "termios")
# The list first, then other POSIX-only names the engine could reach for.
REMOVED_NAMES = {"os": ("nice", "O_NONBLOCK", "setsid", "killpg", "fork", "geteuid", "getuid", "getloadavg",
                        "setpgrp", "getpgid", "mkfifo", "statvfs"),
                 "signal": ("SIGKILL", "SIGSTOP", "SIGCONT", "SIGHUP")}
_import = builtins.__import__


def _without(module_name, names):
    module = sys.modules.get(module_name) or _import(module_name)
    view = types.ModuleType(module_name, module.__doc__)
    view.__dict__.update({key: value for key, value in vars(module).items() if key not in names})
    return view


VIEWS = {name: _without(name, names) for name, names in REMOVED_NAMES.items()}


def _ours(importer_globals):
    return str((importer_globals or {}).get("__file__") or "").startswith(OURS)


def simulated_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0 and _ours(globals):
        top = name.partition(".")[0]
        if top in REMOVED_MODULES:
            raise ModuleNotFoundError(f"No module named {name!r} (simulated Windows)", name=name)
        if top in VIEWS and (name == top or not fromlist):
            _import(name, globals, locals, fromlist, level)
            return VIEWS[top]
    return _import(name, globals, locals, fromlist, level)


builtins.__import__ = simulated_import
with open(os.environ["LENET_SIMULATION_LOG"], "a", encoding="utf-8") as log:
    log.write(f"{os.getpid()}\n")
