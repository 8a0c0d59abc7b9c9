"""Letters, symbols and digits set in this machine's typefaces, shown to the bundled model as Draw's canvas would send
them: does it refuse what no one here drew, and still read a printed digit? Run by `python -m lenet bench`.

Typefaces are drawings that neither our code nor the outlier bank made (the bank sets type only in the face that
Pillow ships, which is left out here), so they test "not a digit" on shapes from outside the project, as issue 21's
typeface set does. The typefaces are whatever this machine holds: the figures are comparable between models measured
on one machine, not between machines. A typeface that lacks a character draws its "missing" box instead, which is
no letter: such characters are skipped. Fonts that put pictures in place of letters (Wingdings) would count as
letters; Linux's usual DejaVu and Liberation hold none.
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
    size = synthetic.CANVAS_SIZE
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).text((size / 2, size / 2), character, fill=255, font=font, anchor="mm")
    ink = np.asarray(mask)
    return ink if ink.any() else None


def figures(classifier=None, fonts=None):
    """{"typefaces", "symbols", "symbols_refused", "by_symbol": {symbol: share refused}, "digits",
    "digits_read_right" (an abstention counting as an error)}, or None where the machine holds no typeface.
    `fonts` are Pillow FreeTypeFonts of GLYPH_POINTS, the machine's typefaces by default."""
    classifier = classifier or inference.Classifier()
    fonts = fonts if fonts is not None else opened(font_files())
    refused, read_right = {symbol: [] for symbol in SYMBOLS}, []
    for font in fonts:
        for character in SYMBOLS + DIGITS:
            ink = _glyph_ink(font, character)  # drawn once, then turned each way
            if ink is None:
                continue
            for turn in TURNS:
                prediction = classifier.classify(_on_canvas(ink, turn))
                if prediction.label is None:
                    continue
                if character in SYMBOLS:
                    refused[character].append(prediction.abstained)
                else:
                    read_right.append(prediction.label == int(character) and not prediction.abstained)
    symbols = [share for shares in refused.values() for share in shares]
    if not symbols or not read_right:
        return None
    return {"typefaces": len(fonts), "symbols": len(symbols), "symbols_refused": float(np.mean(symbols)),
            "by_symbol": {symbol: float(np.mean(shares)) for symbol, shares in refused.items() if shares},
            "digits": len(read_right), "digits_read_right": float(np.mean(read_right))}


def lines(results):
    """The report's line; absent from results written before it was measured, or on a machine without typefaces."""
    measured = results.get("typefaces")
    if not measured:
        return []
    fewest = sorted(measured["by_symbol"].items(), key=lambda item: item[1])[:FEWEST]
    return [f"- Set in type ({measured['typefaces']} typefaces of this machine, each upright and turned "
            f"{max(TURNS)}° either way; no bank sets them): {measured['symbols']} letters and symbols of no digit's "
            f"shape ({' '.join(SYMBOLS)}) refused **{measured['symbols_refused']:.1%}**, the fewest "
            + ", ".join(f"{symbol} {share:.0%}" for symbol, share in fewest)
            + f"; {measured['digits']} digits read right **{measured['digits_read_right']:.1%}**, abstentions as "
            "errors."]
