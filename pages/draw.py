"""Draw: classify a digit drawn on the canvas or uploaded, see what the network sees, and teach it with "That's a …"."""

import streamlit as st

from studio import draw_retrain, drawing, loaders, router, where_it_lands, why

router.require_router()
st.title("✏️ Draw a digit")
st.html(why.PHONE_CSS)
if not router.digit_model_required("Draw"):  # a garment model classifies photos instead (pages/photo.py)
    st.stop()
draw_retrain.switch_when_done()  # a retraining started here has ended: Draw reads with its model from now on
classifier = loaders.active_classifier_or_stop()

image, prediction = drawing.canvas_and_answer(classifier)  # a fragment: a stroke reruns it alone

# Below: what the fragment last read, each computed only while open. They stand still while it reruns alone; while
# one of them shows the drawing, the fragment reruns the whole page instead (drawing.page_must_rerun).
draw_retrain.progress_and_result(image)
why.views(classifier, prediction, image)
where_it_lands.expander(classifier, prediction)
drawing.layers_expander(classifier, prediction)
