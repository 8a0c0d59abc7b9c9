"""Class mode's host token (lenet/runs/class_host.py): from LENET_HOST_TOKEN or made per server, kept private,
compared in constant time."""

import hmac
import json
import os
import stat

import pytest

from lenet import config
from lenet.runs import class_host
from lenet.runs.class_set import ClassSet

GOOD_TOKEN = "Zq3-x_9PkLmN2vB8cR4tY7wA"  # 24 URL-safe characters


def token_file():
    return ClassSet().folder / class_host.TOKEN_FILE


def test_a_made_token_holds_at_least_128_bits_and_stays_the_same(monkeypatch):
    monkeypatch.delenv(class_host.HOST_TOKEN_VARIABLE, raising=False)
    token = class_host.host_token()
    assert len(token) >= 43 and class_host.TOKEN_PATTERN.fullmatch(token)  # token_urlsafe(32): 256 bits
    assert class_host.host_token() == class_host.host_token() == token
    assert stat.S_IMODE(os.stat(token_file()).st_mode) == 0o600
    assert [path.name for path in token_file().parent.iterdir() if path.name.startswith(".")] == []  # no temporary


def test_a_new_server_makes_a_new_token(monkeypatch):
    monkeypatch.delenv(class_host.HOST_TOKEN_VARIABLE, raising=False)
    token = class_host.host_token()
    kept = json.loads(token_file().read_text(encoding="utf-8"))
    token_file().write_text(json.dumps({**kept, "pid_started": kept["pid_started"] - 1000}), encoding="utf-8")
    assert class_host.host_token() != token  # the server that made the old one has ended


def test_the_environment_variable_is_honoured_and_checked(monkeypatch):
    monkeypatch.setenv(class_host.HOST_TOKEN_VARIABLE, GOOD_TOKEN)
    assert class_host.host_token() == GOOD_TOKEN and not token_file().exists()
    for weak in ("short", "x" * 21, "has spaces in it and is long enough", "ünïcödé-is-not-url-safe-here"):
        monkeypatch.setenv(class_host.HOST_TOKEN_VARIABLE, weak)
        with pytest.raises(config.ConfigError, match="at least|URL-safe") as refused:
            class_host.host_token()
        assert weak not in str(refused.value)  # a near miss is never printed


def test_only_the_token_itself_is_the_host(monkeypatch):
    monkeypatch.setenv(class_host.HOST_TOKEN_VARIABLE, GOOD_TOKEN)
    assert class_host.is_host(GOOD_TOKEN)
    guesses = ["", None, GOOD_TOKEN[:-1], GOOD_TOKEN + "x", GOOD_TOKEN.lower(), " " + GOOD_TOKEN, "ü" * 24, 42,
               "A" * 24]
    assert not any(class_host.is_host(guess) for guess in guesses)


def test_a_visitors_own_made_token_is_not_the_host(monkeypatch):
    monkeypatch.delenv(class_host.HOST_TOKEN_VARIABLE, raising=False)
    from lenet.runs import public

    assert not class_host.is_host(public.new_token())  # a visitor's token has the same alphabet, and is not it
    assert class_host.is_host(class_host.host_token())


def test_the_comparison_takes_constant_time(monkeypatch):
    monkeypatch.setenv(class_host.HOST_TOKEN_VARIABLE, GOOD_TOKEN)
    compared = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))
    assert not class_host.is_host("A" * 24) and class_host.is_host(GOOD_TOKEN)
    assert compared == [(b"A" * 24, GOOD_TOKEN.encode()), (GOOD_TOKEN.encode(), GOOD_TOKEN.encode())]


def test_the_host_link_opens_the_class_page(monkeypatch):
    monkeypatch.setenv(class_host.HOST_TOKEN_VARIABLE, GOOD_TOKEN)
    assert class_host.host_link() == f"http://localhost:8501/class?host={GOOD_TOKEN}"
    assert class_host.host_link("http://lab.example:9000/") == f"http://lab.example:9000/class?host={GOOD_TOKEN}"
    assert class_host.host_link() in class_host.host_notice()
