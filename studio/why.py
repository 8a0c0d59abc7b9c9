"""Draw and Upload a photo: the answer with its digit-likeness ("That doesn't look like a digit"), and the "Why this
digit?" views: the evidence map, "What would make it a k?" and the preprocessing strip.

pages/draw.py and pages/photo.py call it. The Why views sit in an expander with one tab per view, and
only the open tab of an open expander computes anything, so a closed expander costs Draw nothing per stroke.
"""

import numpy as np
import streamlit as st
from PIL import Image, ImageDraw

from lenet.serve import preprocess
from studio import loaders

SHOWN = 168  # pixels a side for the 28×28 images: 6 screen pixels to one MNIST pixel
FOR, AGAINST = np.array([214, 39, 40]), np.array([31, 119, 180])  # red: ink that argued for; blue: against
ADDED, REMOVED = np.array([44, 160, 44]), np.array([214, 39, 40])
# On a narrow screen Streamlit stacks the columns, so the answer would be under the canvas, below the fold: there it
# becomes a bar fixed to the bottom of the screen, always in view while drawing. Everywhere, 'Not a digit' may wrap.
# The bar takes the page's colour in either theme: light-dark() follows the color-scheme Streamlit sets on the app,
# and its two colours are Streamlit 1.67's light and dark backgrounds (tests/browser/test_draw_honest.py checks both).
ANSWER_KEY = "draw_answer"  # the key of Draw's answer container (studio/drawing.py), where PHONE_CSS finds it
PHONE_CSS = """<style>
.st-key-ANSWER [data-testid="stMetricValue"] > div { white-space: normal; line-height: 1.1; }
@media (max-width: 640px) {
  .st-key-ANSWER [data-testid="stMetric"] { position: fixed; left: 0; right: 0; bottom: 0; height: auto;
    z-index: 999990;
    background: light-dark(#ffffff, #171614);
    padding: 0.35rem 1.2rem 0.5rem; box-shadow: 0 -2px 10px rgba(0, 0, 0, 0.18);
    border-top: 1px solid rgba(128, 128, 128, 0.3); }
  .st-key-ANSWER [data-testid="stMetricValue"] { font-size: 1.8rem; }
  [data-testid="stMainBlockContainer"] { padding-bottom: 8rem; }
}
</style>""".replace("ANSWER", ANSWER_KEY)
EXPANDER_KEY = "draw_why"  # the expander's state: True while open
TABS = ["Evidence", "What would make it a …?", "Preprocessing, step by step"]


# The answer, or "That doesn't look like a digit".

def answer(classifier, prediction):
    """(metric value, metric delta) for the Prediction metric: the class, or "Not a digit" when the model abstains."""
    noun = classifier.dataset.noun
    if prediction.abstained:
        return f"Not a {noun}", f"likeness {prediction.likeness:.0f} of 100"
    name = classifier.dataset.class_name(prediction.label)
    return name, f"{prediction.probabilities[prediction.label]:.1%} probability"


def likeness_note(classifier, prediction):
    """Why the model abstained, that it cannot judge, or (small) how typical the image is."""
    noun, stats = classifier.dataset.noun, classifier.likeness
    if stats is None:
        st.caption(f"This model has no {noun}-likeness statistics (an older run?), so it cannot judge whether this "
                   f"looks like a {noun}: it classifies anything as one.")
    elif prediction.abstained:
        would = classifier.dataset.class_name(prediction.label)
        st.warning(f"**That doesn't look like a {noun}.** Its {noun}-likeness is {prediction.likeness:.1f} of 100, "
                   f"below {stats.threshold:g}: only the oddest {stats.threshold:g}% of the validation {noun}s score "
                   f"that low. The network would still have said {would} "
                   f"({prediction.probabilities[prediction.label]:.0%}): the greyed bars. If it is a {noun}, teach it.",
                   icon=":material/help:")
    else:
        st.caption(likeness_line(classifier, prediction))


def likeness_line(classifier, prediction):
    """How typical a digit-like image is, in a line; None where likeness_note says more (an abstention, or a model
    that cannot judge)."""
    if classifier.likeness is None or prediction.abstained:
        return None
    noun = classifier.dataset.noun
    return (f"{noun.capitalize()}-likeness {prediction.likeness:.0f} of 100 (more typical than "
            f"{prediction.likeness:.0f}% of validation {noun}s).")


# Why this digit?

def views(classifier, prediction, image):
    """The "Why this digit?" expander; `image` is the drawing or upload before preprocessing."""
    section = st.expander("Why this digit? The evidence, what would change the answer, and the preprocessing",
                          on_change="rerun", key=EXPANDER_KEY)
    if not section.open:
        return
    with section:
        if prediction is None or prediction.label is None:
            st.caption("Draw a digit, or upload one, to see why the network reads it as it does.")
            return
        tabs = st.tabs(TABS, key="draw_why_tab", on_change="rerun")
        for tab, show in zip(tabs, (evidence, counterfactual, preprocessing)):
            if tab.open:
                with tab:
                    show(classifier, prediction, image)


def strip(pictures):
    """Small pictures side by side, each (PIL image, caption); PNG keeps their pixels sharp."""
    for column, (picture, caption) in zip(st.columns(3), pictures):
        column.image(picture, caption=caption, width=picture.width, output_format="PNG")


def evidence(classifier, prediction, image):
    label = prediction.label
    explainer = loaders.explainer(classifier)
    attributions, score = explainer.evidence(prediction.image, label)
    strip([(enlarged(grey_rgb(prediction.image)), "What the model sees"),
           (enlarged(evidence_rgb(prediction.image, attributions)),
            f"Red: ink that made it a {label}; blue: ink against")])
    st.caption(f"**Integrated gradients**: the ink is faded in from a black image (no ink), in finer steps where the "
               f"network's score turns sharply (at most {explainer.config.max_path_steps}), and each pixel gets the "
               f"share of the rise in log p({label}) that happened through it. The shares add up to the whole rise "
               f"({score:+.1f}, within {explainer.config.completeness_tolerance:.0%}), so every bit of the answer is "
               "accounted for; occlusion would need a pass per patch, and would say nothing about where ink is "
               "missing.")


def counterfactual(classifier, prediction, image):
    others = [int(digit) for digit in np.argsort(-prediction.probabilities) if digit != prediction.label]
    target = st.segmented_control("Make it a", others, default=others[0], key="draw_why_target") or others[0]
    change = loaders.explainer(classifier).counterfactual(prediction.image, target)
    strip([(enlarged(grey_rgb(prediction.image)), f"Now: {prediction.label}"),
           (enlarged(change_rgb(prediction.image, change)),
            f"Green: add {change.added.sum():.1f}; red: remove {change.removed.sum():.1f} (pixels of ink)"),
           (enlarged(grey_rgb(change.image)), f"After: p({target}) = {change.probability:.0%}")])
    if change.succeeded:
        st.caption(f"The smallest change found in {change.steps} gradient steps on the 28×28 input (ink kept in "
                   f"[0, 1]) that makes the network answer {target}.")
    else:
        st.caption(f"No change within {change.steps} steps made it a {target}; this is as far as it got.")


def preprocessing(classifier, prediction, image):
    steps = preprocess.to_mnist_digit_steps(image)
    if steps is None:
        st.caption("No digit found to prepare.")
        return
    height, width = steps.scaled.shape
    strip([(boxed_ink(steps), "1. The ink and its bounding box"),
           (enlarged(grey_rgb(steps.scaled)), f"2. Scaled to {width}×{height} (longer side 20)"),
           (centred(steps), f"3. Into 28×28, moved {centre_shift(steps)}: the centre of mass in the middle (+)")])
    st.caption("MNIST's digits were made this way, so a drawing must be too: a small or off-centre digit is "
               "cropped, enlarged and centred, a pen much thinner or thicker than MNIST's writers' is widened or "
               "thinned to theirs, and the network sees what it was trained on.")


# Pictures: small RGB arrays, enlarged without smoothing so the pixels stay visible.

def grey_rgb(image):
    return np.repeat(np.uint8(np.clip(image, 0, 1) * 255)[..., None], 3, axis=2)


def enlarged(rgb, scale=SHOWN / 28):
    """Each pixel as a square of `scale` screen pixels (28×28 becomes SHOWN a side)."""
    height, width = rgb.shape[:2]
    shape = (max(1, round(width * scale)), max(1, round(height * scale)))
    resample = Image.Resampling.NEAREST if scale >= 1 else Image.Resampling.BOX  # a large upload is averaged down
    return Image.fromarray(rgb).resize(shape, resample)


def tinted(image, weights, colour):
    """Blend `colour` over the dimmed image in proportion to `weights` in [0, 1]."""
    base = np.clip(image, 0, 1)[..., None] * 110.0
    weights = np.clip(weights, 0, 1)[..., None]
    return base * (1 - weights) + colour * weights


def evidence_rgb(image, attributions):
    limit = float(np.abs(attributions).max()) or 1.0
    scaled = attributions / limit
    rgb = tinted(image, np.clip(scaled, 0, None), FOR)
    negative = np.clip(-scaled, 0, 1)[..., None]
    return np.uint8(rgb * (1 - negative) + AGAINST * negative)


def change_rgb(image, change):
    rgb = tinted(image, np.clip(change.added * 2, 0, 1), ADDED)
    removed = np.clip(change.removed * 2, 0, 1)[..., None]
    return np.uint8(rgb * (1 - removed) + REMOVED * removed)


def boxed_ink(steps):
    scale = SHOWN / max(steps.ink.shape)  # the whole drawing, fitted to SHOWN
    picture = enlarged(grey_rgb(steps.ink), scale)
    top, bottom, left, right = (value * scale for value in steps.box)
    ImageDraw.Draw(picture).rectangle([left, top, right - 1, bottom - 1], outline=(255, 75, 75), width=2)
    return picture


def centre_shift(steps):
    """How far centring the mass moved the digit from the middle of the frame, in MNIST pixels."""
    height, width = steps.scaled.shape
    rows, columns = steps.offset[0] - (28 - height) / 2, steps.offset[1] - (28 - width) / 2
    return f"{abs(columns):g} px {'right' if columns >= 0 else 'left'}, {abs(rows):g} px {'down' if rows >= 0 else 'up'}"


def centred(steps):
    picture = enlarged(grey_rgb(steps.digit))
    scale = picture.width / 28
    draw = ImageDraw.Draw(picture)
    height, width = steps.scaled.shape
    top, left = (28 - height) / 2 * scale, (28 - width) / 2 * scale  # where the box would sit if merely centred
    draw.rectangle([left, top, left + width * scale - 1, top + height * scale - 1], outline=(140, 140, 140), width=1)
    middle = 14 * scale
    draw.line([middle - 8, middle, middle + 8, middle], fill=(255, 75, 75), width=2)
    draw.line([middle, middle - 8, middle, middle + 8], fill=(255, 75, 75), width=2)
    return picture
