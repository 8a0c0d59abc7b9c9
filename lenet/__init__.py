"""LeNet-5 Studio's engine. It never imports streamlit.

It is arranged in layers, lowest first; a module imports only from its own layer and the layers below it, and
tests/unit/test_layers.py checks every import, those inside functions too. Each subpackage's docstring says what
it holds.
"""

import os

LAYERS = ("files", "data", "config", "model", "serve", "explain", "train", "runs", "bench", "cli", "__main__")

# TensorFlow prints pages of start-up notices (CUDA probing, CPU flags); keep warnings and errors only.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
