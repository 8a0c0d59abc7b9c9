"""The app's start (studio/server_start.py, app.py's st.App lifespan): in public mode `streamlit run app.py` prints
class mode's host link as the server starts, before anyone visits, and the link holds the server's own token;
outside public mode it prints none; a learner's own machine gets the app opened in a browser, a headless one not."""

import asyncio
import concurrent.futures
import re

import pytest

from lenet.bench import memory
from lenet.runs import class_host, public
from studio import class_mode, server_start

LINK = re.compile(r"http://\S+/class\?host=(\S+)")


def start_and_stop(monkeypatch, *, headless=True):
    """Run the lifespan as the server does, once; returns the addresses the browser was asked to open."""
    opened = []
    monkeypatch.setattr(server_start.cli_util, "open_browser", opened.append)
    option = server_start.st.get_option
    monkeypatch.setattr(server_start.st, "get_option",
                        lambda name: headless if name == "server.headless" else option(name))

    async def serve():
        async with server_start.lifespan(None):
            pass

    # In a thread of its own, as the server runs it on its own loop: a test process that has driven a browser keeps
    # Playwright's event loop running in the main thread, where asyncio.run refuses to start another.
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, serve()).result()
    return opened


def test_a_real_server_prints_its_host_link_before_anyone_visits(tmp_path, monkeypatch):
    monkeypatch.delenv(class_host.HOST_TOKEN_VARIABLE, raising=False)  # the server makes its own token
    monkeypatch.setenv("LENET_RUNS_DIR", str(tmp_path / "runs"))
    log = tmp_path / "streamlit.log"
    with memory.serve_app("app.py", log, LENET_PUBLIC="1", LENET_MY_DIGITS_DIR=str(tmp_path / "my_digits")):
        printed = log.read_text(encoding="utf-8")  # only the health check has been asked for: no page has run
        links = LINK.findall(printed)
        assert len(links) == 1, printed
        assert class_host.is_host(links[0])  # the server's own token, while it runs (class_host keeps it per server)


def test_outside_public_mode_the_start_prints_no_link(monkeypatch, capsys):
    monkeypatch.delenv(public.PUBLIC_VARIABLE, raising=False)
    start_and_stop(monkeypatch)
    assert "host=" not in capsys.readouterr().err


def test_an_unusable_host_token_is_reported_at_start_without_repeating_it(monkeypatch, capsys):
    monkeypatch.setenv(public.PUBLIC_VARIABLE, "1")
    monkeypatch.setenv(class_host.HOST_TOKEN_VARIABLE, "too-short-secret")
    start_and_stop(monkeypatch)
    printed = capsys.readouterr().err
    assert "Class mode has no host" in printed and "too-short-secret" not in printed


@pytest.mark.parametrize("headless", [False, True])
def test_the_browser_opens_only_on_a_machine_with_a_screen(monkeypatch, headless):
    monkeypatch.delenv(public.PUBLIC_VARIABLE, raising=False)
    assert start_and_stop(monkeypatch, headless=headless) == ([] if headless else [class_mode.base_url()])


def test_a_page_run_is_told_apart_from_the_servers_import():
    assert not server_start.is_page_run()  # a test imports app code as the server does: no script runner
