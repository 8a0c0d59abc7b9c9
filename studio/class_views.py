"""Class mode's views: the two boards (everyone sees them), and the host's review of the class set and downloads.

Nicknames and file names come from visitors: tables show them as cell text, and markdown only through `plain`.
The host's buttons act in callbacks and each checks again that this session is the host's, since a button drawn
earlier may be pressed later.
"""

from pathlib import Path

import streamlit as st

from lenet.runs import class_boards, class_models
from lenet.runs.class_set import ClassSet
from studio import class_mode, components

GRID_LIMIT = 50  # per label, newest first: a full class set has about 500 a label, too many to draw at once
MESSAGE = "class_review_message"


def boards():
    """The fooling leaderboard and the runs board (public mode only)."""
    if not class_mode.enabled():
        return
    fooling, runs = st.columns([1, 2], gap="large")
    with fooling:
        st.subheader("Who fooled the class model")
        board = class_boards.fooling_board()
        if board:
            st.dataframe([{"nickname": name, "fooling digits": count} for name, count in board], hide_index=True,
                         key="fooling_board")
        st.caption("Fooling digits the host accepted. Turn on Challenge on the Draw page to try." if board else
                   "No accepted fooling digits yet: turn on Challenge on the Draw page and try.")
    with runs:
        st.subheader("The class's training runs")
        rows = [{"nickname": row.nickname, "test accuracy": f"{row.test_accuracy:.2%}",
                 "wall time": f"{row.wall_seconds:.0f} s", "preset": row.preset,
                 "settings": ", ".join(f"{name}={value}" for name, value in row.settings.items()) or "as the preset"}
                for row in class_boards.runs_board()]
        if rows:
            st.dataframe(rows, hide_index=True, key="runs_board")
        st.caption("Visitors' finished MNIST runs, best test accuracy first, then the quickest." if rows else
                   "No finished runs yet: train one on the Train page.")


def review():
    """The class set as a grid per label, each digit removable; fooling digits awaiting review first."""
    if message := st.session_state.pop(MESSAGE, None):
        st.error(message)
    class_set = ClassSet()
    names = class_set.nicknames()
    waiting = class_set.digits("fooling")
    st.subheader(f"Fooling digits to review ({len(waiting)})")
    if not waiting:
        st.caption("None waiting. A drawing that fools the class model on Draw's Challenge comes here.")
    grid(waiting, names, accept=True)
    st.subheader(f"The class set ({class_set.count():,} digits)")
    chosen = st.pills("Label", list(range(10)), default=0, key="class_review_label")
    digits = class_set.by_label()[0 if chosen is None else chosen]
    digits = [digit for digit in digits if digit.kind != "fooling"]
    if len(digits) > GRID_LIMIT:
        st.caption(f"The newest {GRID_LIMIT} of {len(digits)}")
    grid(list(reversed(digits))[:GRID_LIMIT], names)


def grid(digits, names, accept=False):
    def caption(digit):
        return f"{digit.label}" + ("" if digit.prediction in (-1, digit.label) else f", read as {digit.prediction}")

    def below(column, digit):
        column.text(names.get(digit.owner, class_boards.NO_NICKNAME))  # st.text: a nickname is never markup
        if accept:
            column.button("Accept", key=f"accept-{digit.digit_id}", type="tertiary", icon=":material/check:",
                          on_click=class_mode.host_only, args=(MESSAGE, ClassSet().accept_fooling, digit.digit_id))
        column.button("Remove", key=f"remove-{digit.digit_id}", type="tertiary", icon=":material/delete:",
                      on_click=class_mode.host_only, args=(MESSAGE, ClassSet().review_remove, digit.digit_id))

    components.digit_grid(digits, caption, below)


def downloads():
    """The class set (.npz, My digits' format) and the class model (.keras)."""
    class_set, current = ClassSet(), class_models.ClassModels().current()
    given, model = st.columns(2)
    given.download_button("Download the class set (.npz)", data=class_set.export_npz, file_name="class_set.npz",
                          mime="application/octet-stream", on_click="ignore", icon=":material/download:",
                          disabled=class_set.count() == 0)
    if current and current.path.is_file():
        model.download_button(f"Download class model v{current.version} (.keras)", data=Path(current.path).read_bytes,
                              file_name=f"class_model_v{current.version}.keras", mime="application/octet-stream",
                              on_click="ignore", icon=":material/download:")
    else:
        model.caption("No class model accepted yet: the class uses the bundled model.")
