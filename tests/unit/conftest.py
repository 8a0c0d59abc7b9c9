"""Fixtures of the unit tests (tests/conftest.py holds the suite's)."""

import pytest

from tests.unit import quick_worker


@pytest.fixture
def quick_tiny_worker(monkeypatch, tiny_worker):
    """Workers started by lenet.runs.worker.start train on the tiny splits, as with tiny_worker, and fit their
    likeness detectors quickly (tests/unit/quick_worker.py): for tests that check nothing about likeness."""
    from lenet.runs import worker

    monkeypatch.setenv(worker.WORKER_MODULE_VARIABLE, quick_worker.__name__)
