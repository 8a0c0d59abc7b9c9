"""Watching a network learn: a run's snapshots (live and replayed) and where a drawing lands in the feature map.

Not a page: pages/train.py, pages/runs.py and pages/draw.py call these. The engine (lenet.train.snapshots and
lenet.explain.feature_map) computes everything; this module only draws.
"""

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from lenet.data import browse
from lenet.train import snapshots

PLAY_SECONDS = 0.8  # one epoch per tick while a replay plays
COLOURS = px.colors.qualitative.Plotly  # ten colours, one per class
RIGHT, WRONG = "#21a366", "#e0413a"


def filters_picture(filters, scale=12, gap=4):
    """C1's kernels (5, 5, 1, count) side by side as one RGB picture: red excites, blue inhibits, white is zero."""
    kernels = np.moveaxis(filters[:, :, 0, :], -1, 0)
    scaled = kernels / max(float(np.abs(kernels).max()), 1e-9)
    mosaic = browse.upscale(browse.mosaic(scaled, columns=len(kernels), gap=1, fill=np.nan), scale)
    red = np.where(mosaic < 0, 1 + mosaic, 1.0)
    blue = np.where(mosaic > 0, 1 - mosaic, 1.0)
    green = np.minimum(red, blue)
    picture = np.dstack([red, green, blue])
    picture[np.isnan(mosaic)] = 1.0  # the gaps
    return np.pad((picture * 255).astype("uint8"), ((gap, gap), (gap, gap), (0, 0)), constant_values=255)


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
        tip = f"{name}: a {truth}; the network says {said} ({probabilities[predicted]:.0%})"
        cells.append(
            f'<div title="{tip}" style="width:64px;text-align:center;font-size:12px;line-height:1.25">'
            f'<img src="{browse.png_data_uri(image)}" alt="{tip}" '
            f'style="width:56px;height:56px;image-rendering:pixelated"><br>'
            f'<span style="color:{colour};font-weight:600">{mark} {said}</span>'
            f'<div style="background:#ddd;height:5px;width:56px;margin:2px auto">'
            f'<div style="background:{colour};height:5px;width:{probabilities[predicted] * 100:.0f}%"></div></div></div>')
    right_count = sum(int(p.argmax()) == int(label) for p, label in zip(snapshot.probabilities, subjects.panel_labels))
    grid = (f'<div aria-label="panel: {right_count} of {len(cells)} right" '
            f'style="display:flex;flex-wrap:wrap;gap:6px;width:100%">{"".join(cells)}</div>')  # wraps to fit
    return grid, right_count


def map_figure(subjects, snapshot, axis_range=None, height=380):
    """The map's images as a scatter coloured by class; hover says the class and the test image's number."""
    figure = go.Figure(layout=dict(height=height, margin=dict(l=0, r=0, t=10, b=0), legend=dict(font=dict(size=10)),
                                   xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x")))
    for label, name in enumerate(subjects.class_names):
        chosen = subjects.map_labels == label
        figure.add_scatter(x=snapshot.positions[chosen, 0], y=snapshot.positions[chosen, 1], mode="markers",
                           name=name, customdata=subjects.map_indices[chosen],
                           marker=dict(size=5, color=COLOURS[label % len(COLOURS)], opacity=0.7),
                           hovertemplate=f"{name} · test #%{{customdata}}<extra></extra>")
    if axis_range is not None:
        figure.update_layout(xaxis_range=[-axis_range, axis_range], yaxis_range=[-axis_range, axis_range])
    return figure


def show_snapshot(subjects, snapshot, key, wide=True, axis_range=None):
    """One snapshot: C1's filters, the panel and the map, side by side when `wide`."""
    left, right = st.columns([1, 1]) if wide else (st.container(), st.container())
    with left:
        st.markdown("**C1's six filters** (red excites, blue inhibits)")
        picture = filters_picture(snapshot.filters)
        st.html(f'<img src="{browse.png_data_uri(picture)}" alt="C1 filters at epoch {snapshot.epoch}" '
                f'style="max-width:100%">')
        html, right_count = panel_html(subjects, snapshot)
        st.markdown(f"**The panel**: {right_count} of {len(subjects.panel_labels)} right")
        st.html(html)
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


def _toggle_play(key, epochs):
    playing = not st.session_state.get(f"{key}_playing", False)
    st.session_state[f"{key}_playing"] = playing
    st.session_state[f"{key}_hold"] = playing  # the first tick shows the epoch playing starts from
    if playing and st.session_state.get(f"{key}_epoch") == epochs[-1]:
        st.session_state[f"{key}_epoch"] = epochs[0]  # played to the end before: start again


def replay(run_dirs, key, titles=None):
    """An epoch slider and a Play button over the snapshots of one run, or of several side by side."""
    loaded = [(title, snapshots.read_subjects(run_dir), snapshots.read_all(run_dir))
              for title, run_dir in zip(titles or [None] * len(run_dirs), run_dirs)]
    loaded = [item for item in loaded if item[1] is not None and item[2]]
    if not loaded:
        st.caption("No snapshots: this run was trained before snapshots were recorded, or ended before its first.")
        return
    epochs = sorted(set().union(*(set(found) for _, _, found in loaded)))
    epoch_key, playing_key = f"{key}_epoch", f"{key}_playing"
    if st.session_state.get(epoch_key) not in epochs:
        st.session_state[epoch_key] = epochs[-1]
    playing = st.session_state.get(playing_key, False)
    st.button("⏸ Pause" if playing else "▶ Play", key=f"{key}_play", on_click=_toggle_play, args=(key, epochs),
              help="Step through the epochs: watch the filters sharpen, the panel flip and the classes pull apart.")

    @st.fragment(run_every=PLAY_SECONDS if playing else None)
    def player():
        if st.session_state.get(playing_key) and not st.session_state.pop(f"{key}_hold", False):
            later = [epoch for epoch in epochs if epoch > st.session_state[epoch_key]]
            if later:
                st.session_state[epoch_key] = later[0]
            else:
                st.session_state[playing_key] = False
                st.rerun()  # the whole page, so the fragment stops ticking and the button says Play again
        epoch = st.select_slider("Epoch", options=epochs, key=epoch_key,
                                 help="Epoch 0 is the network before training.")
        columns = st.columns(len(loaded)) if len(loaded) > 1 else [st.container()]
        for column, (title, subjects, found) in zip(columns, loaded):
            with column:
                shown = found[max((known for known in found if known <= epoch), default=min(found))]
                if title:
                    st.markdown(f"**{title}**")
                st.caption(f"Epoch {shown.epoch} of {max(found)}"
                           + (f" (its last: it has no epoch {epoch})" if shown.epoch != epoch else ""))
                reach = max(float(np.abs(snapshot.positions).max()) for snapshot in found.values()) * 1.05
                show_snapshot(subjects, shown, f"{key}_{len(loaded)}_{title}", wide=len(loaded) == 1,
                              axis_range=reach)

    player()
