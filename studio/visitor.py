"""Who is visiting, and what they may do: the pages' side of public mode (lenet/runs/public.py decides the rules).

In public mode a visitor is a random token kept in the page's address (?visitor=…), so a reload keeps their runs
and digits theirs; outside it, each browser session is its own visitor and nothing is checked.
"""

import streamlit as st

from lenet import files
from lenet.runs import public, store, worker
from studio.escaping import plain

TOKEN_PARAMETER = "visitor"


def setup():
    """Called by the router on every run: who this visitor is, and whether the run store can be used at all."""
    if not public.valid_token(st.session_state.get("visitor_token")):
        given = st.query_params.get(TOKEN_PARAMETER)
        st.session_state["visitor_token"] = given if public.valid_token(given) else public.new_token()
    # Page links drop the query, so it is written again on every run: whatever page is reloaded keeps it.
    if public.enabled() and st.query_params.get(TOKEN_PARAMETER) != st.session_state["visitor_token"]:
        st.query_params[TOKEN_PARAMETER] = st.session_state["visitor_token"]
    try:
        store.store_root()
    except store.RunError as error:
        st.error(f"Training is unavailable: {plain(error)}")
    if files.home_note() and not public.enabled():  # a read-only install: say where runs and digits go instead
        st.sidebar.caption(plain(files.home_note()))


def owner():
    return public.owner_id(st.session_state["visitor_token"])


def refusal(run):
    """Why this visitor may not stop or delete `run` (public mode), or None."""
    return public.refusal(run, owner())


def active_run():
    """This visitor's queued or running run in public mode (Start waits for it), else None."""
    if not public.enabled():
        return None
    return next((run for run in store.list_runs() if run.owner == owner() and run.state in store.ACTIVE_STATES), None)


def start(train_config, run_name=None):
    """Start a run as this visitor; (run folder, None) or (None, why not)."""
    store = public.digits_store(owner())
    extra = {"my_digits_store": str(store)} if store and train_config.my_digits else {}
    try:
        return public.submit(train_config, owner(), run_name, **extra), None
    except (ValueError, OSError) as error:  # RunError, ConfigError, ModelLoadError: each says what to do
        return None, str(error)


def stop(run_dir):
    """The Stop buttons' callback: checked again here, since a button drawn earlier may be pressed later."""
    if refusal(store.load_run(run_dir)) is None:
        worker.stop_soon(run_dir)


def digits_store():
    return public.digits_store(owner())


def digits_capacity():
    return public.digits_capacity()
