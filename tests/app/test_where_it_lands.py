"""Draw page, "Where your drawing lands", through AppTest: nothing is computed while it is closed; open, it shows
the map with the drawing as a star and the drawing's nearest training images."""

import json
import re

import pytest

from lenet.data import sources
from tests.app.conftest import draw, open_draw_page, rerun

pytestmark = pytest.mark.mnist


def map_chart(app):
    charts = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    return next((chart for chart in charts if any(trace.get("name") == "your drawing" for trace in chart["data"])),
                None)


@pytest.mark.slow
def test_the_drawing_lands_among_its_class_with_its_nearest_training_digits(monkeypatch):
    splits = sources.load(log=lambda line: None)
    image, label = splits.x_test[0], int(splits.y_test[0])  # a 7 the bundled model reads right
    built = []
    from studio import loaders
    loaders._drawing_map.clear()  # built once per model file and process: start from none
    original = loaders.feature_map.build_drawing_map
    monkeypatch.setattr(loaders.feature_map, "build_drawing_map",
                        lambda *arguments, **settings: built.append(1) or original(*arguments, **settings))
    app = draw(open_draw_page(), image)
    assert map_chart(app) is None and not built  # closed: nothing computed

    app.session_state["draw_where"] = True  # open the expander, as a click does
    rerun(app)
    chart = map_chart(app)
    classes = [trace for trace in chart["data"] if trace["name"] != "your drawing"]
    assert [trace["name"] for trace in classes] == [str(digit) for digit in range(10)]
    star = next(trace for trace in chart["data"] if trace["name"] == "your drawing")
    assert star["marker"]["symbol"] == "star"
    caption = next(caption.value for caption in app.caption if "your drawing" in caption.value)
    assert f"It lands among the {label} images" in caption
    neighbours = next(html.proto.body for html in app.get("html") if "nearest training images:" in html.proto.body)
    names = re.search(r'alt="nearest training images: ([^"]*)"', neighbours).group(1).split(", ")
    assert len(names) == 8 and sum(name.startswith(f"{label} #") for name in names) >= 6
    indices = [int(name.split("#")[1]) for name in names]
    assert all(splits.y_train[index] == int(name.split()[0]) for index, name in zip(indices, names))

    draw(app, splits.x_test[1])  # another drawing: the cached map is reused, not built again
    assert len(built) == 1 and map_chart(app) is not None
