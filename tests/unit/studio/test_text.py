"""What the app says in words: text from outside shown as typed, a model's reading of a drawing."""

from types import SimpleNamespace

import numpy as np

from studio import components
from studio.escaping import plain


def test_markdown_and_links_in_outside_text_are_escaped():
    assert plain("[x](javascript:alert(1)) **b** <i>") == r"\[x\](javascript:alert(1)) \*\*b\*\* \<i\>"
    assert plain("see https://example.com or www.example.com") == r"see https:\//example.com or www\.example.com"
    assert plain("run-1 (failed): 0.5%") == "run-1 (failed): 0.5%"  # nothing to escape


def test_a_reading_names_the_digit_and_its_probability_or_why_there_is_none():
    read = SimpleNamespace(label=7, probabilities=np.array([0.1, 0.9]), abstained=False)
    assert components.reading(read) == "7 (90%)"
    assert components.reading(SimpleNamespace(label=7, probabilities=np.array([0.1, 0.9]), abstained=True)) == \
        "not a digit"
    assert components.reading(SimpleNamespace(label=None, probabilities=None, abstained=False)) == "nothing"
