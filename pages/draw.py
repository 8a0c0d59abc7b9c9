"""Draw: classify a digit drawn on the canvas or uploaded, see what the network sees, and teach it with "That's a …"."""


import numpy as np
import plotly.express as px
import streamlit as st
from PIL import Image
from streamlit_drawable_canvas import st_canvas

from lenet.data import my_digits
from lenet.serve import inference, preprocess
from pages import common, retraining, visitor, where_it_lands, why

CANVAS_SIZE = 280  # ten canvas pixels to one MNIST pixel
RAW_SIZE = 140  # the raw drawing is kept with each saved digit at this size, grey


def clear_canvas():
    """A new canvas key mounts an empty canvas; the old drawing is forgotten."""
    st.session_state["canvas_version"] += 1
    st.session_state.update(drawing=None, canvas_initial=None, drawing_image=None)


def save_digit(label, prediction, raw_image):
    store = visitor.digits_store()  # public mode: this visitor's own set
    try:
        my_digits.save_digit(prediction.image, label, prediction.label, raw_drawing=raw_drawing(raw_image),
                             store_dir=store, capacity=visitor.digits_capacity())
    except my_digits.MyDigitsError as error:  # the set is full, or the disk is
        st.toast(f"Not saved: {visitor.plain(error)}", icon="⚠️")
        return
    st.toast(f"Saved as a {label}. My digits: {my_digits.count_digits(store)} saved", icon="✅")
    clear_canvas()  # ready for the next one


def raw_drawing(image):
    """The input as a small grey uint8 image, kept beside the 28×28 digit."""
    picture = Image.fromarray(np.asarray(image, dtype=np.uint8))
    picture = picture.convert("L") if picture.mode != "RGBA" else Image.alpha_composite(
        Image.new("RGBA", picture.size, "black"), picture).convert("L")
    picture.thumbnail((RAW_SIZE, RAW_SIZE))
    return np.asarray(picture)


def read_upload(upload):
    """The uploaded image as an array, or None after showing why it cannot be used."""
    try:
        return preprocess.load_image(upload)
    except preprocess.ImageError as error:
        st.error(f"That file cannot be used: {visitor.plain(error)}")
        return None


def canvas_image(stroke_width):
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


def prompt(image, source):
    """What to say when there is no prediction."""
    if source != "Draw":
        return "Upload a photo or scan of one digit…" if image is None else \
            "No digit found in this image: try a photo with more contrast, the digit filling most of it"
    if image is None or not np.asarray(image)[..., :3].any():  # nothing drawn, or every stroke undone
        return "Draw a digit…"
    return "No digit found: draw a bigger, bolder one"


def pixels_figure(digit_image, size=200):
    figure = px.imshow(digit_image, color_continuous_scale="gray", zmin=0, zmax=1)
    figure.update_traces(xgap=1, ygap=1, hovertemplate="row %{y}, column %{x}: %{z:.2f}<extra></extra>")
    figure.update_layout(width=size, height=size, margin=dict(l=0, r=0, t=0, b=0), coloraxis_showscale=False,
                         plot_bgcolor="#555")  # the colour of the gaps between pixels
    return figure.update_xaxes(visible=False).update_yaxes(visible=False)


def maps_figure(maps, scale="gray", wrap=8):
    """One small panel per channel of a (height, width, channels) array."""
    figure = px.imshow(np.moveaxis(maps, -1, 0), facet_col=0, facet_col_wrap=wrap, color_continuous_scale=scale,
                       facet_col_spacing=0.01, facet_row_spacing=0.12)
    figure.for_each_annotation(lambda note: note.update(text=f"#{int(note.text.split('=')[1]) + 1}"))
    rows = -(-maps.shape[-1] // wrap)
    figure.update_layout(height=30 + 110 * rows, margin=dict(l=0, r=0, t=20, b=0), coloraxis_showscale=False)
    return figure.update_xaxes(visible=False).update_yaxes(visible=False)


st.title("✏️ Draw a digit")
st.html(why.PHONE_CSS)
if not common.digit_model_required("Draw"):  # a garment model classifies photos instead (pages/photo.py)
    st.stop()
retraining.switch_when_done()  # a retraining started here has ended: Draw reads with its model from now on
try:
    classifier = common.load_classifier()
except inference.ModelLoadError as error:
    st.error(str(error))
    st.stop()

left, right = st.columns([1, 1.4], gap="large")
with left:
    source = st.radio("Input", ["Draw", "Upload a photo"], horizontal=True, label_visibility="collapsed")
    if source == "Draw":
        image = canvas_image(st.slider("Stroke width", 8, 40, 20))
        st.button("Clear", on_click=clear_canvas, icon=":material/ink_eraser:")
        st.caption("Draw one digit, large and centred, white on black. Undo is in the canvas's toolbar.")
    else:
        upload = st.file_uploader("A photo or scan of one digit", type=["png", "jpg", "jpeg", "bmp", "gif"])
        image = read_upload(upload) if upload else None
    saved = my_digits.count_digits(visitor.digits_store())
    st.caption(f"My digits: {saved} saved")
    retraining.panel(saved)

prediction = classifier.classify(image) if image is not None else None
with right:
    if prediction is None or prediction.label is None:
        st.info(prompt(image, source))
    else:
        number, chart = st.columns([1, 3])
        value, delta = why.answer(classifier, prediction)
        # On a phone the columns stack and the answer would sit below the canvas: why.PHONE_CSS pins it in view.
        number.container(key="draw_answer").metric("Prediction", value, delta=delta, delta_color="off",
                                                   delta_arrow="off")
        chart.plotly_chart(why.probability_figure(prediction), config={"displayModeBar": False})
        why.likeness_note(classifier, prediction)
        sees, teach = st.columns([1, 1.3])
        with sees:
            st.markdown("**What the model sees** (28×28)")
            st.plotly_chart(pixels_figure(prediction.image), config={"displayModeBar": False}, width="content")
        with teach:
            st.markdown("**Teach it:** that's a …")
            for row in (range(5), range(5, 10)):
                for column, label in zip(st.columns(5), row):
                    column.button(str(label), key=f"label-{label}", on_click=save_digit,
                                  args=(label, prediction, image), width="stretch")
            if not prediction.abstained:
                st.button(f"Right, save as a {prediction.label}", key="save-correct", type="primary",
                          on_click=save_digit, args=(prediction.label, prediction, image))
            st.caption("Saved digits go to the My digits page, where you can retrain the model with them.")

retraining.progress_and_result(image)
why.views(classifier, prediction, image)
where_it_lands.expander(classifier, prediction)
layers = st.expander("Inside the network: feature maps of C1, S2, C3 and S4, and C1's filters", on_change="rerun",
                     key="draw_layers")
if layers.open:
    with layers:
        if prediction is None or prediction.label is None:
            st.caption("Draw a digit to see its feature maps.")
        else:
            for name, maps in classifier.feature_maps(prediction.image).items():
                st.markdown(f"**{name}**: {maps.shape[-1]} maps of {maps.shape[0]}×{maps.shape[1]}")
                st.plotly_chart(maps_figure(maps), config={"displayModeBar": False}, key=f"maps-{name}")
        filters = classifier.filters("C1")
        st.markdown(f"**C1's learned filters**: {filters.shape[-1]} kernels of {filters.shape[0]}×{filters.shape[1]} "
                    "(red excites, blue inhibits)")
        limit = float(np.abs(filters).max())
        figure = maps_figure(filters[:, :, 0, :], scale="RdBu_r")
        st.plotly_chart(figure.update_coloraxes(cmin=-limit, cmax=limit), config={"displayModeBar": False})
