"""Letters, symbols and digits set in type: finding the machine's typefaces, drawing a character as the canvas would,
skipping what a typeface lacks, and the bundled model's figures on Pillow's own typeface (any machine has it)."""

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from lenet.bench import typefaces
from lenet.serve import inference


@pytest.fixture(scope="module")
def pillow_font():
    return ImageFont.load_default(size=typefaces.GLYPH_POINTS)


def test_font_files_lists_each_typeface_once_from_every_folder_below(tmp_path):
    (tmp_path / "truetype" / "dejavu").mkdir(parents=True)
    for name in ("truetype/dejavu/Sans.ttf", "Serif.OTF", "Collection.ttc", "readme.txt", "truetype/Sans.ttf"):
        (tmp_path / name).write_bytes(b"")
    found = typefaces.font_files([tmp_path, tmp_path / "missing"])
    assert [path.name for path in found] == ["Collection.ttc", "Sans.ttf", "Serif.OTF"]


def test_a_file_that_is_no_font_is_left_out(tmp_path):
    (tmp_path / "broken.ttf").write_bytes(b"not a font")
    assert typefaces.opened([tmp_path / "broken.ttf"]) == []


def test_a_character_is_drawn_white_on_the_black_canvas_and_turned(pillow_font):
    upright = typefaces.canvas_drawing(pillow_font, "A")
    turned = typefaces.canvas_drawing(pillow_font, "A", turn=8)
    assert upright.shape == (280, 280, 4) and upright.dtype == np.uint8
    assert (upright[..., 3] == 255).all()  # an opaque canvas, as Draw's sends
    assert (upright[..., 0] == upright[..., 2]).all() and upright[..., 0].max() == 255 and upright[0, 0, 0] == 0
    assert not np.array_equal(upright, turned)
    assert abs(int(turned[..., 0].sum()) - int(upright[..., 0].sum())) < 0.05 * upright[..., 0].sum()


def test_a_character_is_centred_by_its_ink_and_shrunk_to_fit_not_cut_off():
    # Pillow's own typeface at three times the usual size: its A is taller than the canvas, as a face whose
    # metrics set a glyph far off its line would run off it.
    huge = ImageFont.load_default(size=3 * typefaces.GLYPH_POINTS)
    ink = typefaces.canvas_drawing(huge, "A")[..., 0]
    rows, columns = np.nonzero(ink)
    assert rows.min() <= 1 and rows.max() >= ink.shape[0] - 2  # as tall as the canvas: the whole glyph, shrunk
    assert 0 < columns.min() and columns.max() < ink.shape[1] - 1  # not cut at either side
    whole = Image.new("L", (2000, 2000))
    ImageDraw.Draw(whole).text((1000, 1000), "A", fill=255, font=huge, anchor="mm")
    left, top, right, bottom = whole.getbbox()  # the glyph's own ink, uncut
    drawn_aspect = (columns.max() - columns.min() + 1) / (rows.max() - rows.min() + 1)
    assert abs(drawn_aspect - (right - left) / (bottom - top)) < 0.05  # its own shape, not the canvas's square
    assert abs((columns.min() + columns.max()) / 2 - ink.shape[1] / 2) <= 1.5  # centred by its ink


def test_a_character_the_typeface_lacks_is_not_drawn(pillow_font):
    # A private-use code point: every typeface draws its missing box for it, and that box is no letter.
    assert typefaces.canvas_drawing(pillow_font, "\ue123") is None
    assert typefaces.canvas_drawing(pillow_font, " ") is None  # nothing inked at all


def test_the_bundled_model_refuses_letters_and_reads_digits_in_pillows_typeface(pillow_font, monkeypatch):
    monkeypatch.setattr(typefaces, "TURNS", (0,))
    classifier = inference.Classifier()
    drawn = {character for character in typefaces.SYMBOLS
             if typefaces.canvas_drawing(pillow_font, character) is not None}
    figures = typefaces.figures(classifier, [pillow_font])
    assert figures["typefaces"] == 1 and figures["digits"] == 10
    assert set(figures["by_symbol"]) == drawn  # what the typeface lacks is skipped, not counted
    assert figures["symbols"] == len(drawn)
    assert figures["symbols_refused"] >= 0.8
    assert figures["digits_read_right"] >= 0.8


def test_typefaces_in_a_folder_are_measured_once_each_and_named_in_the_line(pillow_font, tmp_path, monkeypatch,
                                                                             capsys):
    from lenet import cli

    monkeypatch.setattr(typefaces, "TURNS", (0,))
    (tmp_path / "Aileron.ttf").write_bytes(pillow_font.font_bytes)  # Pillow's own typeface, as a file
    (tmp_path / "aileron-copy.ttf").write_bytes(pillow_font.font_bytes)  # the same face under a second name
    (tmp_path / "notes.txt").write_text("not a font", encoding="utf-8")
    assert cli.main(["bench", "--typefaces", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    measured = json.loads(printed[-1])
    assert measured["typefaces"] == 1 and measured["source"] == str(tmp_path) and measured["digits"] == 10
    name, = measured["by_typeface"]
    assert measured["by_typeface"][name]["digits_read_right"] == measured["digits_read_right"]
    assert f"(1 typeface in {tmp_path}," in printed[0] and printed[1].startswith(f"  {name}: digits read right")


def test_a_folder_without_typefaces_is_refused_with_its_name(tmp_path):
    from lenet import cli

    with pytest.raises(ValueError, match="no typeface"):
        cli.command_bench(cli.build_parser().parse_args(["bench", "--typefaces", str(tmp_path)]))
    assert typefaces.in_folders([tmp_path]) is None


def test_no_typeface_gives_no_figures_and_no_line():
    assert typefaces.figures(inference.Classifier(), []) is None
    assert typefaces.lines({}) == [] and typefaces.lines({"typefaces": None}) == []


def test_the_line_names_the_least_refused_symbols_first():
    measured = {"typefaces": 2, "symbols": 6, "symbols_refused": 0.5, "digits": 20, "digits_read_right": 0.95,
                "by_symbol": {"A": 0.25, "E": 1.0, "?": 0.5, "H": 0.75, "K": 1.0}}
    line, = typefaces.lines({"typefaces": measured})
    assert "2 typefaces" in line and "**50.0%**" in line and "**95.0%**" in line
    assert "the fewest A 25%, ? 50%, H 75%, E 100%;" in line
