"""Shared fixtures: every test gets its own run store and my-digits folder, never the project's."""

import pytest


@pytest.fixture(autouse=True)
def isolated_stores(tmp_path, monkeypatch):
    monkeypatch.setenv("LENET_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("LENET_MY_DIGITS_DIR", str(tmp_path / "my_digits"))
    return tmp_path
