"""Watching a network learn: a run's snapshots (live and replayed) and where a drawing lands in the feature map.

pages/train.py and pages/runs.py call these. The engine (lenet.train.snapshots and lenet.explain.feature_map)
computes everything; this module only draws. The replay's steps are pure functions of the epochs and a mapping
(the session state), so a unit test can call them.
"""

import html

import numpy as np
import streamlit as st

from lenet.data import browse
from lenet.train import snapshots
from studio import figures

PLAY_SECONDS = 0.8  # one epoch per tick while a replay plays
RIGHT, WRONG = "#21a366", "#e0413a"


def panel_html(subjects, snapshot):
    """The panel as one HTML grid: each image with its prediction, ✓ or ✗, and a bar of that prediction's probability."""
    cells = []
    for number, (image, label, name) in enumerate(zip(subjects.panel_images, subjects.panel_labels,
                                                       subjects.panel_names)):
        probabilities = snapshot.probabilities[number]
        predicted = int(probabilities.argmax())
        right = predicted == int(label)
        colour, mark = (RIGHT, "✓") if right else (WRONG, "✗")
        said = subjects.class_names[predicted]
        truth = subjects.class_names[int(label)]
        tip = html.escape(f"{name}: a {truth}; the network says {said} ({probabilities[predicted]:.0%})")
        cells.append(
            f'<div title="{tip}" style="width:64px;text-align:center;font-size:12px;line-height:1.25">'
            f'<img src="{browse.png_data_uri(image)}" alt="{tip}" '
            f'style="width:56px;height:56px;image-rendering:pixelated"><br>'
            f'<span style="color:{colour};font-weight:600">{mark} {html.escape(said)}</span>'
            f'<div style="background:#ddd;height:5px;width:56px;margin:2px auto">'
            f'<div style="background:{colour};height:5px;width:{probabilities[predicted] * 100:.0f}%"></div></div></div>')
    right_count = sum(int(p.argmax()) == int(label) for p, label in zip(snapshot.probabilities, subjects.panel_labels))
    grid = (f'<div aria-label="panel: {right_count} of {len(cells)} right" '
            f'style="display:flex;flex-wrap:wrap;gap:6px;width:100%">{"".join(cells)}</div>')  # wraps to fit
    return grid, right_count


def map_figure(subjects, snapshot, axis_range=None, height=380):
    """The map's images as a scatter coloured by class; hover says the class and the test image's number."""
    figure = figures.class_scatter(snapshot.positions, subjects.map_labels, subjects.map_indices,
                                   subjects.class_names, height=height, size=5, opacity=0.7)
    if axis_range is not None:
        figure.update_layout(xaxis_range=[-axis_range, axis_range], yaxis_range=[-axis_range, axis_range])
    return figure


def show_snapshot(subjects, snapshot, key, wide=True, axis_range=None):
    """One snapshot: C1's filters, the panel and the map, side by side when `wide`."""
    left, right = st.columns([1, 1]) if wide else (st.container(), st.container())
    with left:
        st.markdown("**C1's six filters** (red excites, blue inhibits)")
        picture = figures.filters_picture(snapshot.filters)
        st.html(figures.picture_html(picture, f"C1 filters at epoch {snapshot.epoch}"))
        panel, right_count = panel_html(subjects, snapshot)
        st.markdown(f"**The panel**: {right_count} of {len(subjects.panel_labels)} right")
        st.html(panel)
    with right:
        st.markdown("**The feature map**: F6's 84 features of 1,000 test images, in 2-D")
        st.plotly_chart(map_figure(subjects, snapshot, axis_range), key=f"{key}_map",
                        config={"displayModeBar": False})


def latest_snapshot(run_dir, key):
    """The newest snapshot of a run in progress; nothing before its first one."""
    subjects, snapshot = snapshots.read_subjects(run_dir), snapshots.latest(run_dir)
    if subjects is None or snapshot is None:
        return
    st.subheader("Inside the network")
    st.caption(f"Epoch {snapshot.epoch} snapshot" + (" (before training)" if snapshot.epoch == 0 else "")
               + ": updated as each epoch ends.")
    show_snapshot(subjects, snapshot, key)


# The replay: an epoch slider and a Play button. Its session state, under the replay's key: "_epoch" (the slider),
# "_playing", and "_hold" (the first tick after Play shows the epoch it starts from).

def toggle_play(session, key, epochs):
    """Play or pause; playing from the last epoch starts again from the first."""
    playing = not session.get(f"{key}_playing", False)
    session[f"{key}_playing"] = playing
    session[f"{key}_hold"] = playing
    if playing and session.get(f"{key}_epoch") == epochs[-1]:
        session[f"{key}_epoch"] = epochs[0]


def tick(session, key, epochs):
    """One tick of a playing replay: on to the next epoch. True when it has just played the last one and stopped."""
    if not session.get(f"{key}_playing") or session.pop(f"{key}_hold", False):
        return False
    later = [epoch for epoch in epochs if epoch > session[f"{key}_epoch"]]
    if later:
        session[f"{key}_epoch"] = later[0]
        return False
    session[f"{key}_playing"] = False
    return True


def shown_snapshot(found, epoch):
    """A run's snapshot for `epoch`: that epoch's, else its latest before it, else its first."""
    return found[max((known for known in found if known <= epoch), default=min(found))]


def epoch_caption(shown, epoch, last):
    return f"Epoch {shown} of {last}" + (f" (its last: it has no epoch {epoch})" if shown != epoch else "")


def map_reach(found):
    """How far the map's axes reach, the same at every epoch so that the points move and the axes do not."""
    return max(float(np.abs(snapshot.positions).max()) for snapshot in found.values()) * 1.05


def load_replays(run_dirs, titles=None):
    """(title, subjects, {epoch: snapshot}) of each run that has snapshots."""
    loaded = [(title, snapshots.read_subjects(run_dir), snapshots.read_all(run_dir))
              for title, run_dir in zip(titles or [None] * len(run_dirs), run_dirs)]
    return [item for item in loaded if item[1] is not None and item[2]]


def replay(run_dirs, key, titles=None):
    """An epoch slider and a Play button over the snapshots of one run, or of several side by side."""
    loaded = load_replays(run_dirs, titles)
    if not loaded:
        st.caption("No snapshots: this run was trained before snapshots were recorded, or ended before its first.")
        return
    epochs = sorted(set().union(*(set(found) for _, _, found in loaded)))
    if st.session_state.get(f"{key}_epoch") not in epochs:
        st.session_state[f"{key}_epoch"] = epochs[-1]
    playing = st.session_state.get(f"{key}_playing", False)
    st.button("⏸ Pause" if playing else "▶ Play", key=f"{key}_play", on_click=toggle_play,
              args=(st.session_state, key, epochs),
              help="Step through the epochs: watch the filters sharpen, the panel flip and the classes pull apart.")
    st.fragment(run_every=PLAY_SECONDS if playing else None)(_player)(loaded, key, epochs)


def _player(loaded, key, epochs):
    if tick(st.session_state, key, epochs):
        st.rerun()  # the whole page, so the fragment stops ticking and the button says Play again
    epoch = st.select_slider("Epoch", options=epochs, key=f"{key}_epoch", help="Epoch 0 is the network before training.")
    columns = st.columns(len(loaded)) if len(loaded) > 1 else [st.container()]
    for column, (title, subjects, found) in zip(columns, loaded):
        with column:
            shown = shown_snapshot(found, epoch)
            if title:
                st.markdown(f"**{title}**")
            st.caption(epoch_caption(shown.epoch, epoch, max(found)))
            show_snapshot(subjects, shown, f"{key}_{len(loaded)}_{title}", wide=len(loaded) == 1,
                          axis_range=map_reach(found))
