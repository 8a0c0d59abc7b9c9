"""What training writes into a run folder: the model file's and the metrics file's names, and one metric line.

The run store (lenet/runs/store.py) reads these files; training, a layer below it, writes them through here.
"""

import json
from pathlib import Path

MODEL_FILE = "model.keras"  # the last completed epoch's model, with its card
METRICS_FILE = "metrics.jsonl"  # append-only: one JSON record a line


def append_metric(run_dir, record):
    # One write call per line: a crash leaves at most a half line at the end, which readers skip.
    with open(Path(run_dir) / METRICS_FILE, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
