"""LeNet-5 Studio's engine. It never imports streamlit.

It is arranged in layers, lowest first; a module imports only from its own layer and the layers below it, and
tests/unit/test_layers.py checks every import, those inside functions too. Each subpackage's docstring says what
it holds.
"""

import contextlib
import importlib.abc
import importlib.util
import os
import re
import sys
import threading

LAYERS = ("files", "data", "config", "model", "serve", "explain", "train", "runs", "bench", "cli", "__main__")

# TensorFlow prints pages of start-up notices (CUDA probing, CPU flags); keep warnings and errors only.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Two notices escape that setting: TensorFlow's shared libraries log through absl before its log level is read, each
# library once, so "oneDNN custom operations are on" and "Could not find cuda drivers" print twice, at INFO level.
# No setting hides them short of turning oneDNN off, so the first `import tensorflow` (Keras's too) runs with stderr
# passed through a filter that drops absl's INFO lines and keeps every other line: warnings and errors still show.
ABSL_NOTICE = re.compile(rb"^(I\d{4} [\d:. ]+\d+ \S+:\d+\] |WARNING: All log messages before absl::InitializeLog)")


@contextlib.contextmanager
def filtered_stderr(drop=ABSL_NOTICE.match):
    """Pass what is written to file descriptor 2 (C++ code writes there too) through a filter until the block ends."""
    try:
        sys.stderr.flush()
        original = os.dup(2)
    except (AttributeError, OSError, ValueError):  # no stderr at all (pythonw on Windows): nothing to filter
        yield
        return
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    passer = threading.Thread(target=_pass_on, args=(read_end, original, drop), daemon=True)
    passer.start()
    try:
        yield
    finally:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            sys.stderr.flush()
        os.dup2(original, 2)  # closes the pipe's last writer, so the passer reads to its end and stops
        passer.join()
        os.close(original)


def _pass_on(read_end, original, drop):
    with open(read_end, "rb") as pipe:
        for line in pipe:
            if not drop(line):
                os.write(original, line)


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self.loader  # the module keeps its own loader
        with filtered_stderr():
            self.loader.exec_module(module)


class _QuietTensorFlow(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)  # once: find the real module below, and never wrap it again
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


if "tensorflow" not in sys.modules:
    sys.meta_path.insert(0, _QuietTensorFlow())
