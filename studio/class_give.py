"""My digits' class mode: a visitor picks a nickname, gives saved digits to the class (one, or all), and takes back
what they gave. Only in public mode; lenet/runs/class_set.py checks every rule (caps, unique nicknames, whose
digit is whose), and this module only shows what it says, as plain text.

Buttons act in callbacks, which run before the page does, so a page redrawn inside a fragment needs no rerun.
"""

import streamlit as st

from lenet.runs import class_rules
from lenet.runs.class_set import ClassSet, ClassSetError
from studio import class_mode, components, visitor
from studio.escaping import plain

MESSAGE = "class_give_message"  # (kind, text) shown once: "error" or "success"


def _say(kind, text):
    st.session_state[MESSAGE] = (kind, text)


def _acting(action, done):
    """Run `action()`; keep `done(result)` as a success, or the class set's refusal as an error, both plain text."""
    try:
        _say("success", done(action()))
    except ClassSetError as error:
        _say("error", plain(error))


def set_nickname():
    typed = st.session_state.get("class_nickname", "")
    _acting(lambda: ClassSet().set_nickname(visitor.owner(), typed),
            lambda name: f"You are {plain(name)} in the class.")


def give(digits):
    """Give `digits` (my digits' Digit objects): all of them, or none when a cap would be passed."""
    _acting(lambda: ClassSet().give_many(visitor.owner(), [digit.image for digit in digits],
                                         [digit.label for digit in digits], predictions=[d.prediction for d in digits]),
            lambda ids: f"Given to the class: {len(ids)} digit{'s' if len(ids) != 1 else ''} (a digit given twice is "
                        "kept once).")


def take_back(digit_ids):
    def action():
        for digit_id in digit_ids:
            ClassSet().take_back(visitor.owner(), digit_id)
        return len(digit_ids)

    _acting(action, lambda count: f"Taken back: {count} digit{'s' if count != 1 else ''}.")


def give_button(column, digit):
    """The grid's "Give" under one of my digits (nothing outside public mode)."""
    if class_mode.enabled():
        column.button("Give", key=f"give-{digit.digit_id}", on_click=give, args=([digit],), type="tertiary",
                      icon=":material/group_add:", help="Give this digit to the class set")


def panel(digits):
    """The class section of My digits: nickname, give all, and what this visitor gave with Take back."""
    if not class_mode.enabled():
        return
    st.header("Give to the class")
    if message := st.session_state.pop(MESSAGE, None):
        (st.error if message[0] == "error" else st.success)(message[1])
    class_set, owner = ClassSet(), visitor.owner()
    nickname = class_set.nickname(owner)
    name_column, save_column = st.columns([3, 1], vertical_alignment="bottom")
    name_column.text_input(f"Your nickname in the class (up to {class_rules.MAX_NICKNAME_CHARS} characters, unique)",
                           value=nickname or "", key="class_nickname", max_chars=class_rules.MAX_NICKNAME_CHARS)
    save_column.button("Save nickname", on_click=set_nickname)
    if nickname is None:
        st.caption("Pick a nickname to give digits to the class and to appear on its boards.")
        return
    given = class_set.digits(owner=owner)
    st.markdown(f"You are **{plain(nickname)}**. You have given {len(given)} of at most "
                f"{class_rules.MAX_VISITOR_DIGITS} digits; the class set holds {class_set.count():,} of at most "
                f"{class_rules.MAX_CLASS_DIGITS:,}.")
    st.caption("The host reviews the class set and retrains the class model with it. One visitor in "
               f"{class_rules.HELD_OUT_SHARE} is held out: their digits only measure the model, so its score is for "
               "handwriting it never trained on." + (" Yours are held out." if class_rules.is_held_out(owner) else ""))
    give_column, back_column = st.columns(2)
    give_column.button(f"Give all my {len(digits)} digits", on_click=give, args=(digits,), disabled=not digits,
                       icon=":material/group_add:")
    back_column.button("Take back all I gave", on_click=take_back, args=([digit.digit_id for digit in given],),
                       disabled=not given, icon=":material/undo:")
    given_grid(given)


def given_grid(given):
    """What this visitor gave (fooling digits too), newest first, each with Take back."""
    def caption(digit):
        return f"{digit.label}" + {"fooling": " (fooled it, in review)", "accepted": " (fooled it)"}.get(digit.kind, "")

    def below(column, digit):
        column.button("Take back", key=f"take-back-{digit.digit_id}", on_click=take_back, args=([digit.digit_id],),
                      type="tertiary", icon=":material/undo:")

    components.digit_grid(list(reversed(given)), caption, below)
