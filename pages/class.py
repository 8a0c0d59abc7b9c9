"""Class: the host's page in class mode (the host link opens it): the boards, the class set to review and download,
and retraining the class model with before → after, Accept and rollback."""

import streamlit as st

from studio import class_mode, class_retrain, class_views, router

router.require_router()
class_mode.require_host()  # the router lists this page only for the host; this stops any other way in
st.title("🧑‍🏫 Class")
st.caption("Only you see this page: you opened the host link. Visitors give digits on My digits and try to fool the "
           "class model on Draw.")
class_views.boards()

st.header("Retrain the class model")
class_retrain.controls()
st.subheader("Class model versions")
class_retrain.versions()

st.header("Review the class set")
class_views.downloads()
class_views.review()
