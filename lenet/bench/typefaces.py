"""Letters, symbols and digits set in this machine's typefaces, shown to the bundled model as Draw's canvas would send
them: does it refuse what no one here drew, and still read a printed digit? Run by `python -m lenet bench`.

Typefaces are drawings that neither our code nor the outlier bank made (the bank sets type only in the face that
Pillow ships, which is left out here), so they test "not a digit" on shapes from outside the project, as issue 21's
typeface set does. The typefaces are whatever this machine holds, or those in the folders that `python -m lenet bench
--typefaces FOLDER` names: the figures compare models measured on the same typefaces, not machines. A typeface that
lacks a character draws its "missing" box instead, which is no letter: such characters are skipped. Fonts that put
pictures in place of letters (Wingdings, URW's Dingbats) would count as letters; Linux's usual DejaVu and Liberation
hold none.
"""

import os
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from lenet.data import synthetic
from lenet.serve import inference

SYMBOLS = "AEHKMNW#@&?♪★"  # letters and symbols of no digit's shape: the kinds issue 21's typeface set names
DIGITS = "0123456789"
TURNS = (-8, 0, 8)  # degrees: upright, and turned a little either way, as a page is held
GLYPH_POINTS = 190  # a glyph about two thirds of the canvas high: "large and centred", as Draw asks
NO_SUCH_CHARACTER = "\U0010fffd"  # a private code point that no typeface draws: what its missing box looks like
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
FEWEST = 4  # the symbols named in the report, the least refused first
SCRATCH_SCALE = 3  # the glyph is set on a canvas this many times wider, so that none is cut off before centring


def font_files(folders=None):
    """The TrueType and OpenType files in the machine's font folders (Linux, macOS and Windows), sorted by name."""
    folders = folders or _font_folders()
    found = {path.name: path for folder in folders if Path(folder).is_dir()
             for path in sorted(Path(folder).rglob("*")) if path.suffix.lower() in FONT_SUFFIXES}
    return [found[name] for name in sorted(found)]


def _font_folders():
    """Where Linux (fontconfig's usual folders), macOS and Windows keep their fonts; those a machine lacks are
    skipped."""
    home = Path.home()
    return [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), home / ".local/share/fonts", home / ".fonts",
            Path("/System/Library/Fonts"), Path("/Library/Fonts"), home / "Library/Fonts",
            Path(os.environ.get("WINDIR", "C:/Windows")) / "Fonts"]


def opened(paths):
    """The typefaces at `paths` as Pillow fonts of GLYPH_POINTS; a file that Pillow cannot read is left out."""
    fonts = []
    for path in paths:
        try:
            fonts.append(ImageFont.truetype(str(path), GLYPH_POINTS))
        except OSError:  # not a font after all, or one of a format this FreeType cannot read
            continue
    return fonts


def canvas_drawing(font, character, turn=0):
    """`character` in `font` (a Pillow FreeTypeFont), white on the black canvas, turned `turn` degrees: the RGBA
    image that Draw's canvas sends. None where the typeface lacks the character."""
    ink = _glyph_ink(font, character)
    return None if ink is None else _on_canvas(ink, turn)


def _glyph_ink(font, character):
    """The character's ink on the canvas, upright; None where it inks nothing or draws the typeface's missing box."""
    ink = _ink(font, character)
    return None if ink is None or np.array_equal(ink, _missing_box(font)) else ink


@lru_cache(maxsize=8)  # one box per typeface, which `figures` measures one after another
def _missing_box(font):
    return _ink(font, NO_SUCH_CHARACTER)


def _on_canvas(ink, turn):
    turned = np.asarray(Image.fromarray(ink).rotate(turn, resample=Image.Resampling.BILINEAR))
    drawing = np.full((*turned.shape, 4), 255, np.uint8)
    drawing[..., :3] = turned[..., None]
    return drawing


def _ink(font, character):
    """The character's ink centred on the canvas, as a person draws "large and centred": by its inked box, not by
    the typeface's metrics, which some faces set far off the glyph (a secretary hand's digits sit above their line
    and ran off the canvas). A glyph larger than the canvas is shrunk to fit."""
    size = synthetic.CANVAS_SIZE
    scratch = Image.new("L", (SCRATCH_SCALE * size, SCRATCH_SCALE * size), 0)
    ImageDraw.Draw(scratch).text((scratch.width / 2, scratch.height / 2), character, fill=255, font=font,
                                 anchor="mm")
    box = scratch.getbbox()
    if box is None:
        return None
    glyph = scratch.crop(box)
    if max(glyph.size) > size:
        glyph.thumbnail((size, size), Image.Resampling.LANCZOS)
    canvas = Image.new("L", (size, size), 0)
    canvas.paste(glyph, ((size - glyph.width) // 2, (size - glyph.height) // 2))
    return np.asarray(canvas)


def figures(classifier=None, fonts=None):
    """{"typefaces", "symbols", "symbols_refused", "by_symbol": {symbol: share refused}, "digits",
    "digits_read_right" (an abstention counting as an error), "by_typeface": {name: {"symbols_refused",
    "digits_read_right"}}}, or None where the machine holds no typeface. `fonts` are Pillow FreeTypeFonts of
    GLYPH_POINTS, the machine's typefaces by default; a face that two of them carry (one family and style) counts
    once."""
    classifier = classifier or inference.Classifier()
    fonts = fonts if fonts is not None else opened(font_files())
    refused, read_right, by_typeface = {symbol: [] for symbol in SYMBOLS}, [], {}
    for font in fonts:
        name = _name(font)
        if name in by_typeface:  # one face in two files (installed twice, or shipped under two names) counts once
            continue
        font_refused, font_read_right = _judged(classifier, font)
        for character, shares in font_refused.items():
            refused[character] += shares
        read_right += font_read_right
        by_typeface[name] = {"symbols_refused": _mean(sum(font_refused.values(), [])),
                             "digits_read_right": _mean(font_read_right)}
    symbols = [share for shares in refused.values() for share in shares]
    if not symbols or not read_right:
        return None
    return {"typefaces": len(by_typeface), "symbols": len(symbols), "symbols_refused": float(np.mean(symbols)),
            "by_symbol": {symbol: float(np.mean(shares)) for symbol, shares in refused.items() if shares},
            "digits": len(read_right), "digits_read_right": float(np.mean(read_right)), "by_typeface": by_typeface}


def _judged(classifier, font):
    """({symbol: [refused?]}, [digit read right?]) for one typeface, each character upright and turned."""
    refused, read_right = {}, []
    for character in SYMBOLS + DIGITS:
        ink = _glyph_ink(font, character)  # drawn once, then turned each way
        if ink is None:
            continue
        for turn in TURNS:
            prediction = classifier.classify(_on_canvas(ink, turn))
            if prediction.label is None:
                continue
            if character in SYMBOLS:
                refused.setdefault(character, []).append(prediction.abstained)
            else:
                read_right.append(prediction.label == int(character) and not prediction.abstained)
    return refused, read_right


def _name(font):
    """The typeface's family and style, as its file names them: "DejaVu Sans Bold"."""
    return " ".join(part for part in font.getname() if part)


def _mean(flags):
    return float(np.mean(flags)) if flags else None


def in_folders(folders, classifier=None):
    """`figures` for the typefaces in `folders` (any folder of font files: a handwriting collection, another
    machine's fonts), with "source" naming them; None where they hold no typeface. `python -m lenet bench
    --typefaces FOLDER` prints it."""
    measured = figures(classifier, opened(font_files(folders)))
    return measured and {**measured, "source": ", ".join(str(folder) for folder in folders)}


def lines(results):
    """The report's line; absent from results written before it was measured, or on a machine without typefaces."""
    measured = results.get("typefaces")
    if not measured:
        return []
    fewest = sorted(measured["by_symbol"].items(), key=lambda item: item[1])[:FEWEST]
    where = f"in {measured['source']}" if measured.get("source") else "of this machine"
    count = measured["typefaces"]
    return [f"- Set in type ({count} typeface{'' if count == 1 else 's'} {where}, each upright and turned "
            f"{max(TURNS)}° either way; no bank sets them): {measured['symbols']} letters and symbols of no digit's "
            f"shape ({' '.join(SYMBOLS)}) refused **{measured['symbols_refused']:.1%}**, the fewest "
            + ", ".join(f"{symbol} {share:.0%}" for symbol, share in fewest)
            + f"; {measured['digits']} digits read right **{measured['digits_read_right']:.1%}**, abstentions as "
            "errors."]


def typeface_lines(measured):
    """One line per typeface, those whose digits read worst first: where a model's misreadings sit."""
    def worst_first(item):
        shares = item[1]
        return (_or_one(shares["digits_read_right"]), _or_one(shares["symbols_refused"]), item[0])

    return [f"  {name}: digits read right {_percent(shares['digits_read_right'])}, letters and symbols refused "
            f"{_percent(shares['symbols_refused'])}"
            for name, shares in sorted(measured["by_typeface"].items(), key=worst_first)]


def _or_one(share):
    return 1.0 if share is None else share


def _percent(share):
    return "none drawn" if share is None else f"{share:.0%}"
