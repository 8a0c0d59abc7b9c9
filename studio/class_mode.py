"""Class mode's side of the session (lenet/runs/class_*.py decide the rules): who is the host, the host link printed
once as the server starts (studio/server_start.py), the host's controls, and the class model as every visitor's
model until they choose another. Only in public mode; outside it every function here says "no" and changes nothing.

The host presents the token once, in the link's ?host=…; the router checks it (in constant time, class_host.is_host),
keeps "is host" in this session's state and drops the token from the address at once, so it is neither in the
browser's later addresses nor in a link the host copies. A wrong token is dropped the same way, and says nothing.
"""

import sys

import streamlit as st

from lenet import config as lenet_config
from lenet.runs import class_host, class_models, public
from lenet.runs.class_set import ClassSetError
from studio.escaping import plain

HOST_PARAMETER = "host"
HOST_STATE = "class_host"  # True once this session presented the host token


def enabled():
    return public.enabled()


def check_host():
    """The router's call on every run, before the navigation: take a ?host= token from the address, if any."""
    if not enabled():
        st.session_state[HOST_STATE] = False
        return
    candidate = st.query_params.get(HOST_PARAMETER)
    if candidate is None:
        return
    del st.query_params[HOST_PARAMETER]  # never left in the address, right or wrong
    try:
        if class_host.is_host(candidate):
            st.session_state[HOST_STATE] = True
    except (ValueError, OSError):  # an unusable LENET_HOST_TOKEN or run store: nobody is the host (see announce)
        pass


def is_host():
    return enabled() and st.session_state.get(HOST_STATE) is True


def require_host():
    """The Class page's first check after the router's: a session that is not the host's sees nothing of it."""
    if not is_host():
        st.error("This page is for the class's host.")
        st.stop()


def base_url():
    """The app's address as a visitor on this machine opens it."""
    address = st.get_option("browser.serverAddress") or "localhost"
    return f"http://{address}:{st.get_option('browser.serverPort') or st.get_option('server.port')}"


def announce(address):
    """Print the host link to the server's terminal: once, as the server starts (studio/server_start.py)."""
    try:
        print(class_host.host_notice(address), file=sys.stderr, flush=True)
    except (ValueError, OSError) as error:  # LENET_HOST_TOKEN or the run store is unusable: say why (never the
        print(f"Class mode has no host: {error}", file=sys.stderr, flush=True)  # token) and host nobody


def class_model():
    """The current class model's path, or None: then the bundled model is every visitor's default."""
    return class_models.current_class_model() if enabled() else None


def class_model_or_bundled():
    """The model class mode retrains and challenges: the class model, or the bundled one before there is any."""
    return str(class_model() or lenet_config.BUNDLED_MODEL_PATH)


def host_only(message_key, action, *args):
    """A host control's callback: act for the host only, and keep a refusal (ClassSetError: a cap, a digit already
    gone) as the message shown under `message_key`, since a callback cannot draw."""
    if not is_host():
        return
    try:
        action(*args)
    except ClassSetError as error:
        st.session_state[message_key] = plain(error)
