"""What the app does once, as its server starts and before anyone visits: app.py's st.App lifespan.

`streamlit run app.py` finds the st.App in app.py and serves it on the same server as a plain script, with this hook
at start. It prints class mode's host link (public mode only), as Jupyter prints its token, and opens the browser
as `streamlit run` does for a plain script but skips for an st.App.
"""

import contextlib

import streamlit as st
from streamlit import cli_util
from streamlit.runtime.scriptrunner import get_script_run_ctx

from studio import class_mode


def is_page_run():
    """Whether app.py runs as a visitor's page script (Streamlit's script runner, or AppTest), not imported by the
    server to find its st.App."""
    return get_script_run_ctx(suppress_warning=True) is not None


@contextlib.asynccontextmanager
async def lifespan(_app):
    """Runs once as the server starts (the port is final by then) and once as it stops."""
    if class_mode.enabled():
        class_mode.announce(class_mode.base_url())
    if not st.get_option("server.headless"):  # a learner's own machine: open the app, as streamlit run does
        cli_util.open_browser(class_mode.base_url())
    yield
