"""A bare page for tests/browser/test_latency.py: only the canvas and a Prediction metric (and Clear, to start each
stroke afresh). Its pen-up → Prediction time is the floor that the canvas component sets (its 200 ms debounce and
the round trip), against which the Draw page is measured. Not part of the app: the test serves it on its own."""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from lenet.serve import inference
from studio import router

router.keep_keras_state()  # as app.py does, so that the floor pays no cost the app does not


@st.cache_resource
def classifier():
    return inference.Classifier()


st.session_state.setdefault("version", 0)


def clear():
    st.session_state["version"] += 1


result = st_canvas(stroke_width=20, stroke_color="#FFFFFF", background_color="#000000", height=280, width=280,
                   drawing_mode="freedraw", update_streamlit=True, return_image_data=True,
                   key=f"canvas-{st.session_state['version']}")
st.button("Clear", on_click=clear)
prediction = classifier().classify(result.image_data) if result.image_data is not None else None
if prediction is None or prediction.label is None:
    st.info("Draw a digit…")
else:
    st.metric("Prediction", str(prediction.label))
