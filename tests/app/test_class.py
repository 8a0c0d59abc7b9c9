"""Class mode through the pages (AppTest): the host's Class page and a visitor's view of each page; the page and its
actions unreachable without the host token; nicknames as plain text; gives, take-backs and caps through My digits;
Draw's Challenge; the boards; and the class model as every visitor's default model."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from lenet import config
from lenet.data import my_digits
from lenet.runs import class_host, class_models, class_rules, public, store
from lenet.runs.class_set import ClassSet
from tests.app.conftest import button, draw, new_app, open_page, rerun
from tests.tiny_data import tiny_splits

HOST_TOKEN = "host-token-for-tests-0123456789abcdef"
ALICE, BOB = "alice-token-0123456789", "bob-token-0123456789"
CLASS_PAGE, MY_DIGITS, DRAW, RUNS = "pages/class.py", "pages/my_digits.py", "pages/draw.py", "pages/runs.py"
MARKDOWN_NAME = "[x](javascript:1) **b**"
HOST_BUTTONS = ("Retrain the class model", "Accept", "Remove", "Accept: make it the class model")


@pytest.fixture(autouse=True)
def class_mode(monkeypatch):
    monkeypatch.setenv(public.PUBLIC_VARIABLE, "1")
    monkeypatch.setenv(class_host.HOST_TOKEN_VARIABLE, HOST_TOKEN)


def host(page=CLASS_PAGE):
    """The host's session: opened by the host link, then on `page`."""
    return open_page(page, {"host": HOST_TOKEN, "visitor": "host-visitor-0123456789"})


def visit(page, token=ALICE, **query):
    return open_page(page, {"visitor": token, **query})


def owner(token):
    return public.owner_id(token)


def save_my_digits(token, count, seed=0):
    """`count` MNIST test digits saved in the visitor's own my digits."""
    splits = tiny_splits()
    for index in range(seed, seed + count):
        my_digits.save_digit(splits.x_test[index], int(splits.y_test[index]),
                             store_dir=public.digits_store(owner(token)))


def act(widget):
    """Run the app after a widget's change (a click, a value); any exception fails the test."""
    app = widget.run()
    assert not app.exception, [error.value for error in app.exception]
    return app


def titles(app):
    return [title.value for title in app.title]


def shown_text(app):
    """Every text element's value on the page, joined."""
    return " ".join(str(element.value) for kind in ("markdown", "caption", "text", "info", "error", "success",
                                                     "warning") for element in getattr(app, kind))


def test_the_host_link_opens_the_class_page_and_the_token_leaves_the_address():
    app = host()
    assert titles(app) == ["🧑‍🏫 Class"] and "host" not in app.query_params
    assert app.session_state["class_host"] is True
    assert any(widget.label == "Retrain the class model" for widget in app.button)
    assert HOST_TOKEN not in shown_text(app)


def test_the_host_link_is_printed_only_at_start_and_shown_to_nobody(capsys):
    """The server prints it once as it starts (tests/app/test_server_start.py); no page run prints or shows it."""
    pages = [visit("pages/home.py"), visit("pages/home.py", BOB), host()]
    assert HOST_TOKEN not in capsys.readouterr().err
    for app in pages:
        assert HOST_TOKEN not in shown_text(app) and HOST_TOKEN not in str(dict(app.query_params))


@pytest.mark.parametrize("query", [{}, {"host": "wrong-token-0123456789abcdef"}, {"host": HOST_TOKEN[:-1] + "x"},
                                   {"host": ALICE}, {"host": ""}])
def test_without_the_token_the_class_page_and_its_actions_are_unreachable(query):
    app = visit("pages/home.py", **query)
    assert "host" not in app.query_params and app.session_state["class_host"] is not True
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(CLASS_PAGE)  # not in this session's navigation: /class finds no page
    for page in ("pages/home.py", DRAW, MY_DIGITS, RUNS):
        app.switch_page(page)
        rerun(app)
        assert not {widget.label for widget in app.button} & set(HOST_BUTTONS), page


def test_a_first_request_for_the_class_pages_file_runs_nothing_of_it():
    """A fresh server runs a request for a file in pages/ bare (Streamlit's old multipage mode): the router takes
    over, and a visitor's session has no Class page to run."""
    app = new_app()
    app.query_params["host"] = "a-guess-0123456789abcdefghij"
    app.switch_page(CLASS_PAGE)  # before the first run: found by its file name, as the old mode does
    rerun(app)
    assert "🧑‍🏫 Class" not in titles(app) and not any(widget.label in HOST_BUTTONS for widget in app.button)


def test_outside_public_mode_even_the_token_opens_nothing(monkeypatch):
    monkeypatch.delenv(public.PUBLIC_VARIABLE)
    app = open_page("pages/home.py", {"host": HOST_TOKEN})
    with pytest.raises(ValueError):
        app.switch_page(CLASS_PAGE)


def test_a_nickname_is_plain_text_and_a_visitor_gives_all_and_takes_one_back():
    save_my_digits(ALICE, 3)
    app = visit(MY_DIGITS)
    app.text_input(key="class_nickname").input(MARKDOWN_NAME)
    act(button(app, "Save nickname").click())
    assert ClassSet().nickname(owner(ALICE)) == MARKDOWN_NAME
    shown = shown_text(app)
    assert r"\[x\](javascript:1) \*\*b\*\*" in shown and MARKDOWN_NAME not in shown
    act(button(app, "Give all my 3 digits").click())
    assert ClassSet().count(owner(ALICE)) == 3
    act(next(widget for widget in app.button if widget.label == "Take back").click())
    assert ClassSet().count(owner(ALICE)) == 2


def test_a_visitor_sees_and_takes_back_only_their_own_digits():
    for token, name in ((ALICE, "Alice"), (BOB, "Bob")):
        save_my_digits(token, 2, seed=10 if token == BOB else 0)
        ClassSet().set_nickname(owner(token), name)
        images, labels = my_digits.as_arrays(my_digits.list_digits(public.digits_store(owner(token))))
        ClassSet().give_many(owner(token), images, labels)
    app = visit(MY_DIGITS, BOB)
    backs = [widget for widget in app.button if widget.label == "Take back"]
    assert len(backs) == 2 and all(owner(BOB) in widget.key for widget in backs)
    act(button(app, "Take back all I gave").click())
    assert ClassSet().count(owner(BOB)) == 0 and ClassSet().count(owner(ALICE)) == 2


def test_the_caps_hold_through_the_page(monkeypatch):
    monkeypatch.setattr(class_rules, "MAX_VISITOR_DIGITS", 2)
    save_my_digits(ALICE, 3)
    ClassSet().set_nickname(owner(ALICE), "Alice")
    app = visit(MY_DIGITS)
    act(button(app, "Give all my 3 digits").click())
    assert ClassSet().count() == 0 and "at most 2 digits" in app.error[0].value
    monkeypatch.setattr(class_rules, "MAX_CLASS_DIGITS", 1)
    first, second = [widget.key for widget in app.button if widget.key and widget.key.startswith("give-")][:2]
    act(app.button(key=first).click())
    assert ClassSet().count() == 1
    act(app.button(key=second).click())
    assert ClassSet().count() == 1 and "class set is full" in app.error[0].value


def test_a_drawing_that_fools_the_class_model_goes_to_review_and_the_host_accepts_it():
    ClassSet().set_nickname(owner(ALICE), MARKDOWN_NAME)
    splits = tiny_splits()
    seven = splits.x_test[np.flatnonzero(splits.y_test == 7)[0]]
    app = draw(visit(DRAW), seven)
    act(app.toggle(key="challenge_on").set_value(True))
    act(app.button_group(key="challenge_label").set_value(3))
    act(button(app, "Challenge").click())
    assert any("You fooled the class model" in warning.value for warning in app.warning)
    assert [digit.label for digit in ClassSet().digits("fooling")] == [3]
    act(app.button_group(key="challenge_label").set_value(7))
    act(button(app, "Challenge").click())
    assert any("not fooled" in info.value for info in app.info) and len(ClassSet().digits()) == 1
    desk = host()
    assert MARKDOWN_NAME in [element.value for element in desk.text]  # st.text: the nickname as typed
    act(button(desk, "Accept").click())
    assert len(ClassSet().digits("accepted")) == 1
    boards = visit(RUNS, BOB)
    assert boards.dataframe[0].value.to_dict("records") == [{"nickname": MARKDOWN_NAME, "fooling digits": 1}]


def test_the_host_removes_any_digit():
    ClassSet().set_nickname(owner(ALICE), "Alice")
    ClassSet().give(owner(ALICE), tiny_splits().x_test[0], int(tiny_splits().y_test[0]))
    app = host()
    app.button_group(key="class_review_label").set_value(int(tiny_splits().y_test[0]))
    act(button(rerun(app), "Remove").click())
    assert ClassSet().count() == 0


def test_the_class_model_is_every_visitors_model_until_they_choose_another(tmp_path):
    before = visit("pages/home.py")
    assert before.session_state["active_model"] == str(config.BUNDLED_MODEL_PATH)
    accepted = class_models.ClassModels().accept(shutil.copy(config.BUNDLED_MODEL_PATH, tmp_path / "class.keras"))
    rerun(before)
    assert before.session_state["active_model"] == str(accepted.path)
    assert before.selectbox(key="model_chooser").value == str(accepted.path)
    act(before.selectbox(key="model_chooser").set_value(str(config.BUNDLED_MODEL_PATH)))
    class_models.ClassModels().accept(accepted.path)  # v2: this visitor chose the bundled model and keeps it
    assert rerun(before).session_state["active_model"] == str(config.BUNDLED_MODEL_PATH)
    assert visit("pages/home.py", BOB).session_state["active_model"].endswith("v2.keras")


@pytest.mark.slow
def test_the_host_retrains_sees_before_and_after_accepts_and_rolls_back(in_process_worker):
    """The retrain trains here (in_process_worker); tests/browser/test_class.py retrains in the server's worker."""
    trainer = next(f"trainer-token-{n:08d}" for n in range(1000)
                   if not class_rules.is_held_out(public.owner_id(f"trainer-token-{n:08d}")))
    ClassSet().set_nickname(owner(trainer), "Trainer")
    splits = tiny_splits()
    ClassSet().give_many(owner(trainer), splits.x_test[:20], splits.y_test[:20].tolist())
    app = host()
    app.number_input(key="class_retrain_epochs").set_value(1)
    act(button(rerun(app), "Retrain the class model").click())
    run_dir = app.session_state["class_retrain"]["run"]
    assert in_process_worker() == [Path(run_dir)]
    assert store.read_status(run_dir)["state"] == "finished"
    rerun(app)
    labels = [metric.label for metric in app.metric]
    assert any(label.startswith("MNIST test set") for label in labels)
    assert any(label.startswith("Held-out visitors' digits (none yet)") for label in labels)
    act(button(app, "Accept: make it the class model").click())
    assert class_models.ClassModels().current().version == 1
    class_models.ClassModels().accept(config.BUNDLED_MODEL_PATH)  # v2, then back to v1 from the page
    act(button(rerun(app), "Roll back to v1").click())
    assert class_models.ClassModels().current().version == 1


def test_a_damaged_model_before_the_class_retrain_is_said_instead_of_before_and_after(tmp_path):
    run_dir = store.new_run(config.make_config("quick"))
    shutil.copy(config.BUNDLED_MODEL_PATH, run_dir / store.MODEL_FILE)
    store.update_status(run_dir, state="finished")
    baseline = tmp_path / "cut-short.keras"  # the class model before, cut short since the run started
    baseline.write_bytes(config.BUNDLED_MODEL_PATH.read_bytes()[:50_000])
    app = open_page(CLASS_PAGE, {"host": HOST_TOKEN, "visitor": "host-visitor-0123456789"},
                    class_retrain={"run": str(run_dir), "baseline": str(baseline)})
    assert any(warning.value.startswith("No before and after to compare: cut-short.keras") for warning in app.warning)
    assert not [metric for metric in app.metric if metric.label.startswith("MNIST test set")]
