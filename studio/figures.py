"""The app's figures, each drawn one way: C1's filters, probability bars, per-epoch curves, feature maps, the
class-coloured scatter of a feature map and a run's confusion matrix. Pure functions of arrays and records: no
session state, no widgets.
"""

import html

import numpy as np
import plotly.express as px
import plotly.graph_objects as go

from lenet.data import browse

RUN_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
               "#17becf")
CLASS_COLOURS = px.colors.qualitative.Plotly  # ten colours, one per class
CHART_MARGIN = dict(l=10, r=10, t=40, b=10)
TIGHT_MARGIN = dict(l=0, r=0, t=10, b=0)
# Filters: red where a weight excites, blue where it inhibits, white at zero, scaled to the largest weight.
FILTER_SCALE = [[0.0, "rgb(0,0,255)"], [0.5, "rgb(255,255,255)"], [1.0, "rgb(255,0,0)"]]
FILTER_SIZE = 5  # LeNet-5's convolutions are 5×5
BAR_LENGTH_PX = 120  # a probability of 1 as a column's height
BAR_TRACK = "rgba(128, 128, 128, 0.12)"  # the empty part of each bar, faint in either theme
PIXEL_GAP = 85  # the grey of the lines between the 28×28 view's pixels


# Filters.

def filters_grid(filters):
    """Keras kernels (5, 5, inputs, count) as one grid: a row per input, a column per filter, NaN between cells."""
    kernels = np.moveaxis(np.asarray(filters, dtype=float), (2, 3), (0, 1))  # (inputs, count, 5, 5)
    inputs, count = kernels.shape[:2]
    return browse.mosaic(kernels.reshape(inputs * count, *kernels.shape[2:]), count, gap=1, fill=np.nan)


def filters_limit(grid):
    return float(np.nanmax(np.abs(grid))) or 1.0


def _cell_centres(count):
    """Where the tick for each 5×5 cell of a grid goes (cells are 1 pixel apart)."""
    return [number * (FILTER_SIZE + 1) + FILTER_SIZE // 2 for number in range(count)]


def filters_figure(filters, row_title="", column_title="C1 filter"):
    """The grid of filters_grid as a chart whose hover gives each weight."""
    inputs, count = np.shape(filters)[2:]
    grid = filters_grid(filters)
    limit = filters_limit(grid)
    figure = px.imshow(grid, color_continuous_scale=FILTER_SCALE, zmin=-limit, zmax=limit, aspect="equal")
    numbers = [str(number + 1) for number in range(max(inputs, count))]
    figure.update_xaxes(tickvals=_cell_centres(count), ticktext=numbers[:count], title=column_title, showgrid=False)
    figure.update_yaxes(tickvals=_cell_centres(inputs), ticktext=numbers[:inputs], title=row_title, showgrid=False,
                        showticklabels=inputs > 1)
    figure.update_layout(height=max(240, 120 + 34 * inputs), margin=dict(l=10, r=10, t=10, b=10),
                         coloraxis_colorbar_title="weight")
    return figure


def filters_picture(filters, scale=12, border=4):
    """The same grid in the same colours as an RGB picture (uint8): what a replay redraws at every tick."""
    grid = filters_grid(filters)
    scaled = browse.upscale(grid / filters_limit(grid), scale)
    red = np.where(scaled < 0, 1 + scaled, 1.0)
    blue = np.where(scaled > 0, 1 - scaled, 1.0)
    picture = np.dstack([red, np.minimum(red, blue), blue])
    picture[np.isnan(scaled)] = 1.0  # the gaps
    return np.pad((picture * 255).astype("uint8"), ((border, border), (border, border), (0, 0)), constant_values=255)


# Probabilities.

def bar_colours(prediction, count):
    """The chosen class red and the others grey; all greyed when the model abstains, its would-be answer darker."""
    if prediction.abstained:
        return ["#9a9ca6" if index == prediction.label else "#d5d7de" for index in range(count)]
    return ["#ff4b4b" if index == prediction.label else "#8a8fa3" for index in range(count)]


def probability_bars(prediction, class_names, noun, horizontal=False):
    """A prediction's probability for each class as HTML bars, greyed when the model abstains; each bar's exact
    value is in its title (shown on hover) and its data-probability. Digits stand as columns under the canvas;
    garments' long names read better as rows (`horizontal`).

    HTML rather than a chart: Draw redraws these on every stroke, and a Plotly figure costs the browser as much as
    the rest of the answer together."""
    names = [html.escape(str(name)) for name in class_names]
    probabilities = [float(probability) for probability in prediction.probabilities]
    bars = "".join((_row_bar if horizontal else _column_bar)(name, probability, colour) for name, probability, colour
                   in zip(names, probabilities, bar_colours(prediction, len(names))))
    said = ", ".join(f"{name} {probability:.0%}" for name, probability in zip(names, probabilities))
    layout = "display:grid;gap:3px" if horizontal else "display:flex;gap:4px;align-items:flex-end"
    return (f'<div role="img" aria-label="probability of each {html.escape(noun)}: {said}" '
            f'style="{layout};font-size:0.8rem;line-height:1.2">{bars}</div>')


def bars_beside_picture(bars, picture, caption, note=None):
    """The probability bars with the 28×28 picture beside them, and a small `note` under both, as one piece of HTML:
    Draw sends it on every stroke, and one element costs the browser less than several. On a narrow screen the
    picture wraps below."""
    below = (f'<p style="font-size:0.875rem;opacity:0.6;margin:0.5rem 0 0">{html.escape(note)}</p>'
             if note else "")
    return (f'<div style="display:flex;flex-wrap:wrap;gap:0.5rem 1.5rem;align-items:flex-end">'
            f'<div style="flex:1 1 16rem">{bars}</div><figure style="margin:0;flex:0 0 auto">{picture}'
            f'<figcaption style="font-size:0.8rem">{html.escape(caption)}</figcaption></figure></div>{below}')


def _column_bar(name, probability, colour):
    return (f'<div title="{name}: {probability:.2%}" data-probability="{probability!r}" style="flex:1;'
            f'text-align:center"><div style="height:{BAR_LENGTH_PX}px;display:flex;align-items:flex-end;'
            f'background:{BAR_TRACK}"><div style="width:100%;height:{probability:.2%};background:{colour}"></div>'
            f"</div>{name}</div>")


def _row_bar(name, probability, colour):
    return (f'<div title="{name}: {probability:.2%}" data-probability="{probability!r}" style="display:grid;'
            f'grid-template-columns:7.5em 1fr 3.5em;gap:6px;align-items:center"><span style="text-align:right">'
            f'{name}</span><div style="height:1em;background:{BAR_TRACK}"><div style="height:100%;'
            f'width:{probability:.2%};background:{colour}"></div></div><span>{probability:.0%}</span></div>')


# Training curves.

def epoch_figure(metric, series, height=300):
    """Per-epoch `metric` of one or more runs, series = [(name, epoch records)]: validation solid, training dotted."""
    figure = go.Figure(layout=dict(title=metric.capitalize(), xaxis_title="epoch", height=height, xaxis_dtick=1,
                                   margin=CHART_MARGIN))
    for index, (name, epochs) in enumerate(series):
        colour, x = RUN_COLOURS[index % len(RUN_COLOURS)], [record["epoch"] for record in epochs]
        for prefix, kind, dash in (("val_", "val" if name else "validation", None), ("", "train", "dot")):
            figure.add_scatter(x=x, y=[record[prefix + metric] for record in epochs], name=f"{name} {kind}".strip(),
                               line=dict(color=colour, dash=dash))
    return figure


def batch_loss_figure(batches, steps_per_epoch):
    """Training loss per batch, on an axis of epochs."""
    figure = go.Figure(layout=dict(title="Training loss per batch", xaxis_title="epoch", height=300,
                                   margin=CHART_MARGIN, showlegend=False))
    figure.add_scatter(x=[record["step"] / steps_per_epoch for record in batches],
                       y=[record["loss"] for record in batches], mode="lines")
    return figure


# Inside the network.

def picture_html(picture, alt):
    """A uint8 picture as an <img> that carries its own pixels (a data: address), its alt text escaped.

    Not st.image: Streamlit deletes that picture's media file as soon as a rerun stops showing it, and a browser
    still fetching it (the next stroke, or Start pressed as a run ends, on a busy machine) logs a 404."""
    return f'<img src="{browse.png_data_uri(picture)}" alt="{html.escape(alt)}" style="max-width: 100%">'


def pixels_picture(digit_image, cell=7):
    """A 28×28 image as a grey picture: each pixel a square of `cell` - 1 screen pixels, a grey line between them,
    so its pixels can be counted. A picture, not a chart: Draw redraws it on every stroke. Grey, not RGB: a third of
    the pixels to encode as PNG, on every stroke."""
    grey = np.uint8(np.clip(np.asarray(digit_image), 0, 1) * 255)
    height, width = grey.shape
    cells = np.full((height, cell, width, cell), PIXEL_GAP, np.uint8)  # each pixel's cell: its line, then its square
    cells[:, 1:, :, 1:] = grey[:, None, :, None]
    return np.pad(cells.reshape(height * cell, width * cell), ((0, 1), (0, 1)), constant_values=PIXEL_GAP)


def maps_figure(maps, wrap=8):
    """One small grey panel per channel of a layer's (height, width, channels) output."""
    figure = px.imshow(np.moveaxis(maps, -1, 0), facet_col=0, facet_col_wrap=wrap, color_continuous_scale="gray",
                       facet_col_spacing=0.01, facet_row_spacing=0.12)
    figure.for_each_annotation(lambda note: note.update(text=f"#{int(note.text.split('=')[1]) + 1}"))
    rows = -(-maps.shape[-1] // wrap)
    figure.update_layout(height=30 + 110 * rows, margin=dict(l=0, r=0, t=20, b=0), coloraxis_showscale=False)
    return figure.update_xaxes(visible=False).update_yaxes(visible=False)


def class_scatter(positions, labels, indices, class_names, height, size, opacity):
    """Points of a feature map coloured by class; hover says the class and the test image's number."""
    figure = go.Figure(layout=dict(height=height, margin=TIGHT_MARGIN, legend=dict(font=dict(size=10)),
                                   xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x")))
    for label, name in enumerate(class_names):
        chosen = labels == label
        figure.add_scatter(x=positions[chosen, 0], y=positions[chosen, 1], mode="markers", name=name,
                           customdata=indices[chosen],
                           marker=dict(size=size, color=CLASS_COLOURS[label % len(CLASS_COLOURS)], opacity=opacity),
                           hovertemplate=f"{name} · test #%{{customdata}}<extra></extra>")
    return figure


# A run's results.

def confusion_figure(matrix, dataset):
    """A run's confusion matrix on the test set, each cell clickable (the Train page shows the images behind it)."""
    matrix, classes = np.array(matrix), list(range(dataset.num_classes))
    figure = go.Figure(go.Heatmap(z=np.log1p(matrix), x=classes, y=classes, text=matrix, texttemplate="%{text}",
                                  colorscale="Blues", showscale=False, hoverinfo="skip"))
    # Plotly reports clicks on points, not on heatmap cells: an invisible marker on every cell takes the clicks.
    true, predicted = np.divmod(np.arange(len(classes) ** 2), len(classes))
    names = [[int(count), dataset.class_name(row), dataset.class_name(column)]
             for count, row, column in zip(matrix.ravel(), true, predicted)]
    figure.add_scatter(x=predicted, y=true, customdata=names, mode="markers", showlegend=False,
                       marker=dict(symbol="square", size=28, opacity=0),
                       hovertemplate=f"true %{{customdata[1]}}, predicted %{{customdata[2]}}: %{{customdata[0]}} "
                                     f"{dataset.noun}s<extra></extra>")
    ticks = dict(tickvals=classes, ticktext=list(dataset.class_names), range=[-0.5, len(classes) - 0.5])
    figure.update_layout(xaxis=dict(title="predicted", **ticks),
                         yaxis=dict(title="true", **{**ticks, "range": ticks["range"][::-1]}),  # class 0 at the top
                         height=420, margin=dict(l=10, r=10, t=10, b=10))
    return figure
