"""Class mode's rules, each stated once: where the class set lives, its caps, what a nickname may be, which
visitors are held out, what a digit's id looks like, and the one lock every change takes.
"""

import contextlib
import hashlib
import re
import threading
import unicodedata

import filelock
import numpy as np

CLASS_FOLDER = ".class"  # a dot folder: the run store lists only folders with a config.json, and never this one
# The caps, here and nowhere else. 200 a visitor is about 20 of each digit: enough to teach the model one person's
# handwriting, while nobody makes more than 4% of a full set and so cannot steer (or spoil) the class model alone.
# 5,000 in all is 25 full shares, a large class; it takes 20 MB on disk (a 4 KB block a digit), leaves a grid of
# about 500 a label that the host can still review, and adds a tenth to MNIST's 50,000 training images, so a retrain
# takes about a tenth longer than one on MNIST alone.
MAX_CLASS_DIGITS = 5_000
MAX_VISITOR_DIGITS = 200
MAX_NICKNAME_CHARS = 24
HELD_OUT_SHARE = 5  # one visitor in 5 is held out for evaluation
LOCK_SECONDS = 30  # a give holds the lock for milliseconds; this long means a stuck process
KINDS = ("given", "fooling", "accepted")  # plain digits; fooling digits awaiting review; fooling digits accepted
OWNER_PATTERN = re.compile(r"[0-9a-f]{8,64}")  # public.owner_id's hex digest: safe as a folder name
DIGIT_ID_PATTERN = re.compile(r"(given|fooling|accepted)/([0-9a-f]{8,64})/([0-9a-f]{20})")


class ClassSetError(ValueError):
    """A nickname, digit or request the class set refuses; the message says what to do instead."""


def is_held_out(owner):
    """Whether `owner`'s digits are held out: decided by a hash of the owner id alone, so it never changes."""
    digest = hashlib.sha256(f"lenet class held out:{owner}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % HELD_OUT_SHARE == 0


def clean_nickname(nickname):
    """The nickname as stored: stripped, 1 to MAX_NICKNAME_CHARS characters, no control or invisible characters.

    It stays plain text: pages render it as text, so "<b>" is shown as typed, never as markup.
    """
    if not isinstance(nickname, str):
        raise ClassSetError("a nickname is text: type one")
    nickname = unicodedata.normalize("NFC", nickname).strip()
    if not 1 <= len(nickname) <= MAX_NICKNAME_CHARS:
        raise ClassSetError(f"a nickname has 1 to {MAX_NICKNAME_CHARS} characters; this one has {len(nickname)}. "
                            "Type a shorter one" if nickname else "type a nickname first")
    if any(unicodedata.category(character).startswith("C") for character in nickname):
        raise ClassSetError("a nickname may hold letters, digits, spaces and punctuation, but no control or "
                            "invisible characters (such as tabs or line breaks); type it again without them")
    return nickname


def same_name(nickname):
    return unicodedata.normalize("NFKC", nickname).casefold()


_held = threading.local()  # {folder: depth} of the class locks this thread holds


@contextlib.contextmanager
def locked(folder):
    """Hold the class's one lock (a filelock.FileLock in `folder`) while a change is checked and made.

    It is a lock on an open file, which the system releases when a process dies, so a killed server never leaves
    the class locked. It is re-entrant in one thread: a change made while the lock is held (a model accepted inside
    `with class_set.lock():`) would otherwise wait on its own thread's lock until LOCK_SECONDS ran out."""
    folder.mkdir(parents=True, exist_ok=True)
    key, depths = str(folder.resolve()), _held.__dict__.setdefault("depths", {})
    if depths.get(key):
        depths[key] += 1
        try:
            yield
        finally:
            depths[key] -= 1
        return
    lock = filelock.FileLock(folder / "lock", timeout=LOCK_SECONDS)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise ClassSetError("the class set is busy; try again in a moment") from None
    depths[key] = 1
    try:
        yield
    finally:
        depths[key] = 0
        lock.release()


def checked_owner(owner):
    if not isinstance(owner, str) or not OWNER_PATTERN.fullmatch(owner):
        raise ClassSetError("not a visitor id (lenet.runs.public.owner_id makes one from a visitor's token)")
    return owner


def parse_id(digit_id):
    match = DIGIT_ID_PATTERN.fullmatch(digit_id) if isinstance(digit_id, str) else None
    if match is None:
        raise ClassSetError(f"{digit_id!r} is not a class digit's id")
    return match.groups()


def content_name(image, label):
    """A digit's file name: a hash of its pixels (as stored, 0-255) and label. Checks both first, so that a batch
    with one bad digit is refused before any is written."""
    image = np.asarray(image)
    if image.shape != (28, 28):
        raise ClassSetError(f"a digit is a 28×28 image, got shape {image.shape}")
    if image.dtype != np.uint8:
        if not np.issubdtype(image.dtype, np.floating) or not np.isfinite(image).all() or image.min() < 0 \
                or image.max() > 1:
            raise ClassSetError("a digit's pixels are uint8, or floats from 0 to 1")
        image = np.rint(image * 255.0).astype("uint8")
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= label <= 9:
        raise ClassSetError(f"a digit's label is a whole number from 0 to 9, got {label!r}")
    return hashlib.sha256(image.tobytes() + str(int(label)).encode()).hexdigest()[:20]
