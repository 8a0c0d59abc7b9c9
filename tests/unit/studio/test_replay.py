"""The replay's steps (studio.learning_views) on a plain dict in place of the session state."""

from types import SimpleNamespace

import numpy as np

from studio import learning_views

EPOCHS = [0, 1, 2, 3]


def test_play_from_the_last_epoch_starts_again_from_the_first_and_pause_keeps_the_epoch():
    session = {"r_epoch": 3}
    learning_views.toggle_play(session, "r", EPOCHS)
    assert session == {"r_epoch": 0, "r_playing": True, "r_hold": True}
    session["r_epoch"] = 2
    learning_views.toggle_play(session, "r", EPOCHS)
    assert session["r_playing"] is False and session["r_epoch"] == 2


def test_a_tick_holds_once_then_steps_to_the_last_epoch_and_stops():
    session = {"r_epoch": 1}
    learning_views.toggle_play(session, "r", EPOCHS)
    seen = []
    for _ in range(5):
        stopped = learning_views.tick(session, "r", EPOCHS)
        seen.append((session["r_epoch"], stopped))
    assert seen == [(1, False), (2, False), (3, False), (3, True), (3, False)]
    assert session["r_playing"] is False


def test_a_paused_replay_does_not_move():
    session = {"r_epoch": 1, "r_playing": False}
    assert not learning_views.tick(session, "r", EPOCHS) and session["r_epoch"] == 1


def test_a_run_without_the_chosen_epoch_shows_its_last_one_before_and_says_so():
    found = {0: "epoch 0", 2: "epoch 2"}
    assert learning_views.shown_snapshot(found, 2) == "epoch 2"
    assert learning_views.shown_snapshot(found, 3) == "epoch 2"
    assert learning_views.epoch_caption(2, 3, 2) == "Epoch 2 of 2 (its last: it has no epoch 3)"
    assert learning_views.epoch_caption(1, 1, 2) == "Epoch 1 of 2"
    assert learning_views.shown_snapshot({2: "epoch 2"}, 0) == "epoch 2"  # before its first: its first


def test_the_map_reaches_a_little_past_its_farthest_point_at_any_epoch():
    found = {epoch: SimpleNamespace(positions=np.array([[reach, 0.0], [0.0, -reach / 2]]))
             for epoch, reach in ((0, 1.0), (1, 4.0), (2, 2.0))}
    assert np.isclose(learning_views.map_reach(found), 4.2)
