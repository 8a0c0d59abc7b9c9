"""The Draw page's pieces: the canvas or an upload, the answer with "Teach it: that's a …", and the layers.

The choices (what to prompt, what the layers' captions say, the raw drawing kept with a saved digit) are pure
functions; the page script only puts the pieces in their columns.
"""

import numpy as np
import streamlit as st
from PIL import Image

from lenet.data import my_digits
from studio import challenge, components, draw_retrain, figures, visitor, why
from studio.escaping import plain

CANVAS_SIZE = 280  # ten canvas pixels to one MNIST pixel
RAW_SIZE = 140  # the raw drawing is kept with each saved digit at this size, grey
SOURCES = ["Draw", "Upload a photo"]
CHART_CONFIG = {"displayModeBar": False}


# Pure choices.

def prompt(image, source):
    """What to say when there is no prediction."""
    if source != "Draw":
        return "Upload a photo or scan of one digit…" if image is None else \
            "No digit found in this image: try a photo with more contrast, the digit filling most of it"
    if image is None or not np.asarray(image)[..., :3].any():  # nothing drawn, or every stroke undone
        return "Draw a digit…"
    return "No digit found: draw a bigger, bolder one"


def raw_drawing(image):
    """The input as a small grey uint8 image, kept beside the 28×28 digit."""
    picture = Image.fromarray(np.asarray(image, dtype=np.uint8))
    picture = picture.convert("L") if picture.mode != "RGBA" else Image.alpha_composite(
        Image.new("RGBA", picture.size, "black"), picture).convert("L")
    picture.thumbnail((RAW_SIZE, RAW_SIZE))
    return np.asarray(picture)


def maps_caption(name, maps):
    return f"**{name}**: {maps.shape[-1]} maps of {maps.shape[0]}×{maps.shape[1]}"


def filters_caption(filters):
    return (f"**C1's learned filters**: {filters.shape[-1]} kernels of {filters.shape[0]}×{filters.shape[1]} "
            "(red excites, blue inhibits)")


# The left column: the input.

def clear_canvas():
    """A new canvas key mounts an empty canvas; the old drawing is forgotten."""
    st.session_state["canvas_version"] += 1
    st.session_state.update(drawing=None, canvas_initial=None, drawing_image=None)


def canvas_image(stroke_width):
    # Imported here: the component registers its files with a running Streamlit server, and fails without one, so a
    # unit test could not import this module's pure functions.
    from streamlit_drawable_canvas import st_canvas

    key = f"canvas-{st.session_state['canvas_version']}"
    if key not in st.session_state:  # a freshly mounted canvas: restore the drawing kept from before a page switch
        st.session_state["canvas_initial"] = st.session_state["drawing"]
    result = st_canvas(stroke_width=stroke_width, stroke_color="#FFFFFF", background_color="#000000",
                       height=CANVAS_SIZE, width=CANVAS_SIZE, drawing_mode="freedraw",
                       initial_drawing=st.session_state["canvas_initial"], update_streamlit=True,
                       return_image_data=True, key=key)
    if result.image_data is not None:  # None until the canvas sends its first drawing
        st.session_state.update(drawing=result.json_data, drawing_image=result.image_data)
    return st.session_state["drawing_image"]


def input_column():
    """The canvas (or an upload), the count of saved digits and "Retrain with my N digits"; returns (image, source)."""
    source = st.radio("Input", SOURCES, horizontal=True, label_visibility="collapsed")
    if source == "Draw":
        image = canvas_image(st.slider("Stroke width", 8, 40, 20))
        st.button("Clear", on_click=clear_canvas, icon=":material/ink_eraser:")
        st.caption("Draw one digit, large and centred, white on black. Undo is in the canvas's toolbar.")
    else:
        upload = st.file_uploader("A photo or scan of one digit", type=components.UPLOAD_TYPES)
        image = components.read_upload(upload) if upload else None
    saved = my_digits.count_digits(visitor.digits_store())
    st.caption(f"My digits: {saved} saved")
    draw_retrain.panel(saved)
    return image, source


# The right column: the answer, and teaching.

def save_digit(label, prediction, raw_image):
    store = visitor.digits_store()  # public mode: this visitor's own set
    try:
        my_digits.save_digit(prediction.image, label, prediction.label, raw_drawing=raw_drawing(raw_image),
                             store_dir=store, capacity=visitor.digits_capacity())
    except my_digits.MyDigitsError as error:  # the set is full, or the disk is
        st.toast(f"Not saved: {plain(error)}", icon="⚠️")
        return
    st.toast(f"Saved as a {label}. My digits: {my_digits.count_digits(store)} saved", icon="✅")
    clear_canvas()  # ready for the next one


def answer_column(classifier, prediction, image, source):
    if prediction is None or prediction.label is None:
        st.info(prompt(image, source))
        return
    number, chart = st.columns([1, 3])
    value, delta = why.answer(classifier, prediction)
    # On a phone the columns stack and the answer would sit below the canvas: why.PHONE_CSS pins it in view.
    number.container(key="draw_answer").metric("Prediction", value, delta=delta, delta_color="off", delta_arrow="off")
    chart.plotly_chart(figures.probability_figure(prediction, classifier.class_names, classifier.dataset.noun),
                       config=CHART_CONFIG)
    why.likeness_note(classifier, prediction)
    sees, teach = st.columns([1, 1.3])
    with sees:
        st.markdown("**What the model sees** (28×28)")
        st.plotly_chart(figures.pixels_figure(prediction.image), config=CHART_CONFIG, width="content")
    with teach:
        teach_buttons(prediction, image)
    challenge.panel(prediction, image)  # class mode's Challenge (studio/challenge.py); nothing outside public mode


def teach_buttons(prediction, image):
    st.markdown("**Teach it:** that's a …")
    for row in (range(5), range(5, 10)):
        for column, label in zip(st.columns(5), row):
            column.button(str(label), key=f"label-{label}", on_click=save_digit, args=(label, prediction, image),
                          width="stretch")
    if not prediction.abstained:
        st.button(f"Right, save as a {prediction.label}", key="save-correct", type="primary", on_click=save_digit,
                  args=(prediction.label, prediction, image))
    st.caption("Saved digits go to the My digits page, where you can retrain the model with them.")


# Below: inside the network.

def layers_expander(classifier, prediction):
    """The feature maps of C1, S2, C3 and S4 for the drawing, and C1's filters; computed only while open."""
    layers = st.expander("Inside the network: feature maps of C1, S2, C3 and S4, and C1's filters", on_change="rerun",
                         key="draw_layers")
    if not layers.open:
        return
    with layers:
        if prediction is None or prediction.label is None:
            st.caption("Draw a digit to see its feature maps.")
        else:
            for name, maps in classifier.feature_maps(prediction.image).items():
                st.markdown(maps_caption(name, maps))
                st.plotly_chart(figures.maps_figure(maps), config=CHART_CONFIG, key=f"maps-{name}")
        filters = classifier.filters("C1")
        st.markdown(filters_caption(filters))
        st.plotly_chart(figures.filters_figure(filters), config=CHART_CONFIG)
