"""Draw's Challenge (class mode): the visitor says which digit they drew, and the class model reads it. If it reads
another digit, or calls a digit the visitor stands by "not a digit", the drawing is a fooling digit: shown as such
and given to the class set for the host to review (lenet/runs/class_boards.judge_challenge decides).

One call from Draw's answer column, `panel`. Its buttons act in callbacks, so it works the same when Draw's answer
is redrawn alone in a fragment: nothing here reruns the whole app.
"""

import hashlib

import numpy as np
import streamlit as st

from lenet.runs import class_boards
from lenet.runs.class_set import ClassSet, ClassSetError
from studio import class_mode, loaders, visitor
from studio.escaping import plain

VERDICT = "challenge_verdict"  # (drawing's key, fooled, message, 28×28 image or None): shown while that drawing is
MY_DIGITS_PAGE = "pages/my_digits.py"


def class_classifier():
    """The class model's classifier: the host's accepted model, or the bundled one before there is any."""
    return loaders.load_classifier(class_mode.class_model_or_bundled())


def drawing_key(digit_image):
    """Which drawing a verdict is for: a hash of the 28×28 digit the model read."""
    return hashlib.sha256(np.ascontiguousarray(digit_image, dtype=np.float32).tobytes()).hexdigest()


def judge(image):
    """The Challenge button's callback: read `image` with the class model, and give a fooling digit to the class."""
    stated = st.session_state.get("challenge_label")
    if stated is None:
        st.session_state[VERDICT] = (None, False, "Say which digit you drew first.", None)
        return
    prediction = class_classifier().classify(image)
    verdict = class_boards.judge_challenge(prediction, int(stated))
    message = verdict.message
    if verdict.fooled:
        try:
            predicted = -1 if prediction.abstained or prediction.label is None else int(prediction.label)
            ClassSet().give(visitor.owner(), prediction.image, int(stated), fooling=True, prediction=predicted)
            message += " It goes to the class set as a fooling digit, for the host to review."
        except ClassSetError as error:
            message += f" It could not go to the class set: {plain(error)}"
    st.session_state[VERDICT] = (drawing_key(prediction.image), verdict.fooled, message,
                                 prediction.image if verdict.fooled else None)


def panel(prediction, image):
    """The Challenge switch and, when it is on, "It's a …" and Challenge (public mode only)."""
    if not class_mode.enabled() or prediction is None or prediction.label is None:
        return
    if not st.toggle("Challenge the class model", key="challenge_on",
                     help="Draw a digit the class model gets wrong: it then learns from it when the host retrains."):
        return
    if ClassSet().nickname(visitor.owner()) is None:
        st.caption("Pick a nickname on My digits first: fooling digits count for your nickname on the class's board.")
        st.page_link(MY_DIGITS_PAGE, label="My digits", icon="🖐️")
        return
    st.pills("It's a …", list(range(10)), key="challenge_label")
    st.button("Challenge", key="challenge_go", on_click=judge, args=(image,), icon=":material/sports_kabaddi:")
    verdict = st.session_state.get(VERDICT)
    if verdict and verdict[0] in (None, drawing_key(prediction.image)):  # not a verdict on an earlier drawing
        _, fooled, message, fooling_image = verdict
        (st.warning if fooled else st.info)(message)
        if fooling_image is not None:
            st.image(fooling_image, caption="Fooling digit", width=84, clamp=True)
