"""Class mode's host: whoever holds the host token, as with Jupyter's token.

The token comes from LENET_HOST_TOKEN, or is made fresh for each server (secrets.token_urlsafe(32), 256 bits) and
kept in the class folder's host.json, readable by the app's user alone, with the server process that made it; a
later server makes a new one, so an old link stops working. The app prints the host link once, at start
(host_notice); nothing logs the token after that, and error messages never repeat it. A candidate is compared in
constant time, so response times tell a visitor guessing tokens nothing about how close a guess came.
"""

import hmac
import json
import os
import re
import secrets

from lenet import config as lenet_config, files
from lenet.runs import store
from lenet.runs.class_set import ClassSet

HOST_TOKEN_VARIABLE = "LENET_HOST_TOKEN"
MIN_TOKEN_CHARS = 22  # URL-safe characters carry 6 bits each: 22 of them, if random, hold 132 bits (at least 128)
TOKEN_PATTERN = re.compile(rf"[A-Za-z0-9_-]{{{MIN_TOKEN_CHARS},256}}")
TOKEN_FILE = "host.json"
DEFAULT_BASE_URL = "http://localhost:8501"  # Streamlit's default address
CLASS_PAGE = "class"


def host_token(folder=None):
    """The host token: LENET_HOST_TOKEN if set (ConfigError if it is too short to be secret), else this server's own."""
    given = os.environ.get(HOST_TOKEN_VARIABLE, "")
    if given:
        if not TOKEN_PATTERN.fullmatch(given):  # the message never repeats the token: it may be close to right
            unsafe = ", some of them not URL-safe" if re.search(r"[^A-Za-z0-9_-]", given) else ""
            raise lenet_config.ConfigError(
                f"{HOST_TOKEN_VARIABLE} must be {MIN_TOKEN_CHARS} to 256 URL-safe characters (letters, digits, - and "
                f"_), enough for 128 random bits; it has {len(given)} characters{unsafe}. Make one with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'")
        return given
    return _server_token(ClassSet(folder))


def _server_token(class_set):
    """The token this server made, or a new one if there is none or the server that made it has ended."""
    path = class_set.folder / TOKEN_FILE
    with class_set.lock():  # two servers starting at once on one run store make one token, not two
        kept = files.read_json(path, default={}) or {}
        if isinstance(kept, dict) and isinstance(kept.get("token"), str) and TOKEN_PATTERN.fullmatch(kept["token"]) \
                and store.process_alive(kept.get("pid", -1), kept.get("pid_started")):
            return kept["token"]
        token = secrets.token_urlsafe(32)
        server = os.getpid()
        kept = {"token": token, "pid": server, "pid_started": store.process_start_time(server)}
        files.write_atomic(path, json.dumps(kept), mode=0o600)  # the app's user alone may read it
        return token


def is_host(candidate, folder=None):
    """Whether `candidate` (from the page's address) is the host token, compared in constant time."""
    if not isinstance(candidate, str) or not candidate:
        return False
    return hmac.compare_digest(candidate.encode("utf-8"), host_token(folder).encode("utf-8"))


def host_link(base_url=DEFAULT_BASE_URL, folder=None):
    """The address of the Class page with the host's controls: keep it to the host."""
    return f"{base_url.rstrip('/')}/{CLASS_PAGE}?host={host_token(folder)}"


def host_notice(base_url=DEFAULT_BASE_URL, folder=None):
    """What the app prints to the terminal once at start, in public mode: the host link and what it is for."""
    return (f"Class mode: open this link to host the class (retrain, review, roll back). Keep it to yourself; "
            f"anyone with it is the host:\n  {host_link(base_url, folder)}")
