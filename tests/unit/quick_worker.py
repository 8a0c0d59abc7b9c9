"""The tiny-splits worker (tests/tiny_data.py) whose likeness detectors learn in QUICK_LIKENESS_EPOCHS passes instead
of lenet.serve.likeness.EPOCHS: for the unit tests whose workers train for real but check nothing about likeness
(queueing, stopping, killing, a class retrain's accuracy). Fitting them fully takes a finished tiny run about a
second of numpy, a fifth of its work. The quick_tiny_worker fixture (tests/unit/conftest.py) starts workers as this
module.
"""

import runpy

from lenet.serve import likeness
from tests import tiny_data

QUICK_LIKENESS_EPOCHS = 2  # also the unit tests that fit detectors in their own process (test_refit, test_xla, …)

if __name__ == "__main__":
    likeness.EPOCHS = QUICK_LIKENESS_EPOCHS
    runpy.run_module(tiny_data.__name__, run_name="__main__", alter_sys=True)
