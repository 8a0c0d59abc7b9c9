"""The Draw page's pieces: the canvas or an upload, the answer with "Teach it: that's a …", and the layers.

The canvas and its answer are one fragment (`canvas_and_answer`), so that a stroke reruns them alone: not the title,
the sidebar's model chooser, the widgets around the canvas, the Teach buttons or the views below. The choices (what
to prompt, what the layers' captions say, the raw drawing kept with a saved digit) are pure functions; the page
script only puts the pieces in their places.
"""

import numpy as np
import streamlit as st
from PIL import Image

from lenet.data import my_digits, synthetic
from studio import challenge, components, draw_retrain, figures, visitor, where_it_lands, why
from studio.escaping import plain

CANVAS_SIZE = 280  # ten canvas pixels to one MNIST pixel
RAW_SIZE = 140  # the raw drawing is kept with each saved digit at this size, grey
SOURCES = ["Draw", "Upload a photo"]
CHART_CONFIG = {"displayModeBar": False}
LAYERS_KEY = "draw_layers"  # the layers expander's state: True while open
CANVAS_KEY_PREFIX = "canvas-"  # each mounted canvas's key: this and the canvas's version (Clear makes a new one)
# The canvas's toolbar (Undo, Redo, reset) shows only while a pointer hovers over the canvas, so on a phone, which has
# none, Undo is there to tap but never seen. The component draws in a shadow root, where the page's CSS cannot reach:
# on screens that cannot hover, this gives each canvas's shadow root the rule that keeps the toolbar shown, as the
# component does itself while its edit mode is on. A canvas mounts again after Clear, a saved digit or a page switch,
# so it looks for new ones four times a second; on a screen that can hover it does nothing.
TOOLBAR_SCRIPT_KEY = "canvas_toolbar_script"
TOOLBAR_ON_TOUCH_SCREENS = """<style>[data-testid="stLayoutWrapper"]:has(> .st-key-SCRIPT) { display: none; }</style>
<script>
(() => {
  if (window.lenetCanvasToolbarShown || !matchMedia("(hover: none)").matches) return;
  window.lenetCanvasToolbarShown = true;
  const shown = new CSSStyleSheet();
  shown.replaceSync(".dc-toolbar { opacity: 1; top: -2.65rem; }");
  setInterval(() => {
    for (const host of document.querySelectorAll('[class*="st-key-CANVAS"] [data-testid="stBidiComponentIsolated"]')) {
      const root = host.shadowRoot;
      if (root && !root.adoptedStyleSheets.includes(shown)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, shown];
    }
  }, 250);
})();
</script>""".replace("CANVAS", CANVAS_KEY_PREFIX).replace("SCRIPT", TOOLBAR_SCRIPT_KEY)


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


# The canvas and its answer: one fragment.

def page_must_rerun():
    """Whether a change inside the fragment must rerun the whole page: a part below shows the drawing (an open
    expander, or a retraining, whose before → after reads it), or a digit was just saved (its toast, and the count
    beside the canvas)."""
    open_views = (why.EXPANDER_KEY, where_it_lands.EXPANDER_KEY, LAYERS_KEY)
    return (any(st.session_state.get(key) for key in open_views) or st.session_state["draw_retrain"] is not None
            or "draw_toast" in st.session_state)


def canvas_and_answer(classifier):
    """The input and its answer, side by side; returns (image, prediction) for the parts below.

    Only the canvas (or the upload) and the answer are the fragment that a stroke reruns. The widgets around them,
    which no stroke changes, are drawn here into the same columns, on whole-page runs only: using one of them (the
    source, the pen, Clear, Retrain, a Teach button) reruns the page, and a stroke does not redraw them. The Teach
    buttons were most of the fragment's elements, which the browser builds again on every stroke before it shows the
    Prediction (BENCHMARKS.md, "Where Draw's extra time goes"); they read the drawing when pressed."""
    st.session_state["draw_whole_page"] = True  # read by the fragment: the whole page is running
    with st.container(key=TOOLBAR_SCRIPT_KEY):  # hidden by its own rule: no room, and no gap, in the page
        st.html(TOOLBAR_ON_TOUCH_SCREENS, unsafe_allow_javascript=True)
    if toast := st.session_state.pop("draw_toast", None):  # a digit saved, or why not
        st.toast(toast[0], icon=toast[1])
    left, right = st.columns([1, 1.4], gap="large")
    with left:
        source = st.radio("Input", SOURCES, horizontal=True, label_visibility="collapsed")
        stroke_width = st.slider("Stroke width", *synthetic.STROKE_WIDTH_RANGE, synthetic.DEFAULT_STROKE_WIDTH) \
            if source == "Draw" else None
    with right:
        answer = st.container(key=why.ANSWER_KEY)
    with left:  # the fragment's own container sits in the left column: the canvas needs no wrapper there
        _canvas_and_answer(classifier, answer, source, stroke_width)
        below_the_input(source)
    with right:
        teach_buttons()
    return st.session_state["draw_reading"]


@st.fragment
def _canvas_and_answer(classifier, answer, source, stroke_width):
    # The parts below keep what they showed while this reruns alone: right while they are closed, the usual case and
    # the one a stroke must be quick in. While one of them shows the drawing, a change here (a stroke, an upload, a
    # saved digit) reruns the whole page instead, so that it follows: an open view costs a stroke what it cost
    # before, a closed one nothing, and the views keep their place in the page.
    if not st.session_state.pop("draw_whole_page", False) and page_must_rerun():
        st.rerun()
    image = canvas_image(stroke_width) if source == "Draw" else uploaded_image()
    prediction = classifier.classify(image) if image is not None else None
    st.session_state["draw_reading"] = (image, prediction)  # for the parts below, on whole-page runs
    # Streamlit wraps a fragment's writes into each container made outside it in a block of their own, sent again on
    # every rerun: one such container (the answer's), not the two columns.
    with answer:
        answer_column(classifier, prediction, image, source)


# The left column: the input.

def clear_canvas():
    """A new canvas key mounts an empty canvas; the old drawing is forgotten."""
    st.session_state["canvas_version"] += 1
    st.session_state.update(drawing=None, canvas_initial=None, drawing_image=None)


def canvas_image(stroke_width):
    # Imported here: the component registers its files with a running Streamlit server, and fails without one, so a
    # unit test could not import this module's pure functions.
    from streamlit_drawable_canvas import st_canvas

    key = f"{CANVAS_KEY_PREFIX}{st.session_state['canvas_version']}"
    if key not in st.session_state:  # a freshly mounted canvas: restore the drawing kept from before a page switch
        st.session_state["canvas_initial"] = st.session_state["drawing"]
    result = st_canvas(stroke_width=stroke_width, stroke_color="#FFFFFF", background_color="#000000",
                       height=CANVAS_SIZE, width=CANVAS_SIZE, drawing_mode="freedraw",
                       initial_drawing=st.session_state["canvas_initial"], update_streamlit=True,
                       return_image_data=True, key=key)
    if result.image_data is not None:  # None until the canvas sends its first drawing
        st.session_state.update(drawing=result.json_data, drawing_image=result.image_data)
    return st.session_state["drawing_image"]


def uploaded_image():
    upload = st.file_uploader("A photo or scan of one digit", type=components.UPLOAD_TYPES)
    return components.read_upload(upload) if upload else None


def below_the_input(source):
    """Clear, the count of saved digits and "Retrain with my N digits"."""
    if source == "Draw":
        st.button("Clear", on_click=clear_canvas, icon=":material/ink_eraser:")
        st.caption("Draw one digit, large and centred, white on black. Undo is in the canvas's toolbar.")
    saved = my_digits.count_digits(visitor.digits_store())
    st.caption(f"My digits: {saved} saved")
    draw_retrain.panel(saved)


# The right column: the answer, and teaching.

def save_digit(label):
    """A Teach button's callback: saves what the canvas (or the upload) last read as `label`. What it says is kept
    for the whole-page run that follows (see page_must_rerun): a callback inside a fragment may not draw, and the
    count beside the canvas lies outside it."""
    raw_image, prediction = st.session_state["draw_reading"]
    if prediction is None or prediction.label is None:  # the buttons stand beside an empty canvas too
        st.session_state["draw_toast"] = (f"Nothing to save: draw a digit first, then say it is a {label}.", "✏️")
        return
    store = visitor.digits_store()  # public mode: this visitor's own set
    try:
        my_digits.save_digit(prediction.image, label, prediction.label, raw_drawing=raw_drawing(raw_image),
                             store_dir=store, capacity=visitor.digits_capacity())
    except my_digits.MyDigitsError as error:  # the set is full, or the disk is
        st.session_state["draw_toast"] = (f"Not saved: {plain(error)}", "⚠️")
        return
    st.session_state["draw_toast"] = (f"Saved as a {label}. My digits: {my_digits.count_digits(store)} saved", "✅")
    clear_canvas()  # ready for the next one


def answer_column(classifier, prediction, image, source):
    """The Prediction, its bars and what the model sees, how digit-like the drawing is, and "Right, save as a …"."""
    if prediction is None or prediction.label is None:
        st.info(prompt(image, source))
        return
    value, delta = why.answer(classifier, prediction)
    # A row of its own, so that "Not a digit" and "100.0% probability" are never cut off. On a phone the columns
    # stack and the answer would sit below the canvas: why.PHONE_CSS pins it in view.
    st.metric("Prediction", value, delta=delta, delta_color="off", delta_arrow="off")
    line = why.likeness_line(classifier, prediction)  # in the same piece of HTML: one element fewer per stroke
    st.html(figures.bars_beside_picture(
        figures.probability_bars(prediction, classifier.class_names, classifier.dataset.noun),
        figures.picture_html(figures.pixels_picture(prediction.image), "the drawing as the model sees it: 28×28 "
                             "grey pixels"), "What the model sees (28×28)", note=line))
    if line is None:  # "That doesn't look like a digit", or that this model cannot judge: a note of its own
        why.likeness_note(classifier, prediction)
    if not prediction.abstained:
        st.button(f"Right, save as a {prediction.label}", key="save-correct", type="primary", on_click=save_digit,
                  args=(prediction.label,))
    challenge.panel(prediction, image)  # class mode's Challenge (studio/challenge.py); nothing outside public mode


def teach_buttons():
    """"That's a …": ten buttons under the answer, drawn on whole-page runs only (see canvas_and_answer)."""
    st.markdown("**Teach it:** that's a …")
    for row in (range(5), range(5, 10)):
        with st.container(horizontal=True, gap="small"):
            for label in row:
                st.button(str(label), key=f"label-{label}", on_click=save_digit, args=(label,), width="stretch")
    st.caption("Saved digits go to the My digits page, where you can retrain the model with them.")


# Below: inside the network.

def layers_expander(classifier, prediction):
    """The feature maps of C1, S2, C3 and S4 for the drawing, and C1's filters; computed only while open."""
    layers = st.expander("Inside the network: feature maps of C1, S2, C3 and S4, and C1's filters", on_change="rerun",
                         key=LAYERS_KEY)
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
