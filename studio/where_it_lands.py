"""Draw page: "Where your drawing lands", the active model's feature map with the drawing on it as a star.

pages/draw.py calls `expander`. The map is built by lenet.explain.feature_map once per model file (a few seconds: the
features of 52,000 images) and cached by studio.loaders.drawing_map, keyed by the file's path and modification time.
"""

import numpy as np
import streamlit as st

from lenet.data import browse
from studio import figures, loaders

NEIGHBOUR_SCALE = 3
EXPANDER_KEY = "draw_where"  # the expander's state: True while open


def figure(drawing_map, placement, class_names):
    chart = figures.class_scatter(drawing_map.positions, drawing_map.labels, drawing_map.indices, class_names,
                                  height=460, size=4, opacity=0.45)
    x, y = placement.position
    chart.add_scatter(x=[x], y=[y], mode="markers", name="your drawing",
                      marker=dict(symbol="star", size=24, color="#111", line=dict(color="white", width=2)),
                      hovertemplate="your drawing<extra></extra>")
    return chart


def verdict(placement, class_names):
    nearest = class_names[placement.nearest_class]
    how_far = (f"Its nearest training images are {placement.neighbour_distance:.2f} away (the 8th nearest); 95% of "
               f"test images have theirs within {placement.typical_distance:.2f}. ")
    if placement.strangeness > 1:
        return how_far + (f"At {placement.strangeness:.1f}× that, it lies outside every cluster: unlike anything "
                          f"the network was trained on, whatever it answers. The star sits that many {nearest}-cluster "
                          "radii from the centre of the nearest cluster.")
    return how_far + f"It lands among the {nearest} images, as far out as a usual one."


def show(classifier, prediction):
    if prediction is None or prediction.label is None:
        st.caption("Draw something to see where it lands.")
        return
    drawing_map = loaders.drawing_map(classifier.model_path)
    placement = drawing_map.place(prediction.image)
    class_names = classifier.class_names
    st.plotly_chart(figure(drawing_map, placement, class_names), key="draw_map_chart",
                    config={"displayModeBar": False})
    st.caption("2,000 test images placed by the network's 84 F6 features (PCA of their directions); the star is "
               "your drawing. " + verdict(placement, class_names))
    st.markdown(f"**Its {len(placement.neighbours)} nearest training images**, in the network's eyes")
    splits = loaders.load_splits(classifier.dataset.name)
    images = (splits.x_train[placement.neighbours] * 255).astype(np.uint8)
    captions = [f"{class_names[splits.y_train[index]][:9]} #{index}" for index in placement.neighbours]
    picture = browse.labelled_mosaic(images, captions, len(images), scale=NEIGHBOUR_SCALE)
    alt = "nearest training images: " + ", ".join(captions)
    st.html(figures.picture_html(picture, alt))


def expander(classifier, prediction):
    """The expander; the map is built and the drawing placed only while it is open."""
    section = st.expander("Where your drawing lands: the network's map of what it has learned", on_change="rerun",
                          key=EXPANDER_KEY)
    if section.open:
        with section:
            show(classifier, prediction)
