"""The app's shared UI pieces, each written once: per-visitor state, cached loaders, run-following, figures,
components, public mode's side, the views several pages show, and the router that app.py runs. Pages and app.py
import from here; nothing here imports a page.

Imports from: lenet.
"""

import lenet  # noqa: F401  before any module here imports Keras: lenet quiets TensorFlow's start-up notices
