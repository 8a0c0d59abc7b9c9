"""Quick likeness fits, and the tiny-splits worker (tests/tiny_data.py) that fits its detectors quickly: for the tests
whose runs train for real but check nothing about likeness (queueing, stopping, killing, XLA, a class retrain's
accuracy). A run ends by fitting its model's detectors (lenet.serve.likeness): reading the layers of 20,000 training
digits, 2,100 drawn ones, 2,000 broken ones, 4,000 scrawls and the outlier bank's 13,664 drawings, and each one's
three views, then 10 passes: 15.6 CPU seconds on 12-07 before the scrawls, half a second of it for the broken digits.
A quick fit reads 1,000 digits, an eighth of the drawn and broken digits, of the scrawls and of the bank (every family
still in it) and makes 2 passes: still the whole fit, from the same code, a small part of the work. The
quick_tiny_worker fixture (tests/conftest.py) starts workers as this module.
"""

import runpy

from lenet.serve import digit_bank, likeness, outlier_bank
from tests import tiny_data

QUICK_LIKENESS_EPOCHS = 2
QUICK_DIGIT_SAMPLE = 1000
QUICK_BANK_STRIDE = 8  # every 8th drawing of the outlier bank, of its scrawls and of the drawn digits


def quick_likeness(set_attribute=setattr):
    """Make every likeness fit from now on a quick one. Tests pass monkeypatch.setattr, which undoes it after them."""
    whole_bank, all_drawn_digits, all_broken_digits = outlier_bank.bank, digit_bank.digits, digit_bank.broken_digits
    all_scrawls = outlier_bank.scrawls
    set_attribute(likeness, "EPOCHS", QUICK_LIKENESS_EPOCHS)
    set_attribute(likeness, "DIGIT_SAMPLE", QUICK_DIGIT_SAMPLE)
    set_attribute(outlier_bank, "bank", lambda: tuple(part[::QUICK_BANK_STRIDE] for part in whole_bank()))
    set_attribute(digit_bank, "digits", lambda: all_drawn_digits()[::QUICK_BANK_STRIDE])
    set_attribute(digit_bank, "broken_digits", lambda: all_broken_digits()[::QUICK_BANK_STRIDE])
    set_attribute(outlier_bank, "scrawls", lambda: all_scrawls()[::QUICK_BANK_STRIDE])


if __name__ == "__main__":
    quick_likeness()
    runpy.run_module(tiny_data.__name__, run_name="__main__", alter_sys=True)
