"""Why this digit? An evidence map of the pixels that pushed the network towards its answer or away from it, and a
counterfactual: the smallest change to the drawing that would make the network answer another digit.

The evidence map uses integrated gradients (Sundararajan et al., 2017) from a black image, which is "no ink". Each
pixel's evidence is how much the network's score moved while that pixel's ink was faded in from nothing, along the
straight path from the black image to the drawing. The evidence adds up to the score of the drawing minus the score
of the black image (up to the sampling of the path, which lenet.explain.path_integral refines until the gap is
within a stated tolerance), so every bit of the answer is accounted for, and a learner can read red as "this ink
made it a 7" and blue as "this ink argued against 7". We chose it over occlusion (hiding patches and watching the
score) because occlusion needs one forward pass per patch, sees only patch-sized detail, and with a black patch says
nothing about pixels that have no ink; integrated gradients costs a few batched calls and gives one value per pixel.
The score explained is the log-probability of the digit, log p(k) = logit_k − logsumexp(logits): it measures
evidence for k *against the other digits* and, unlike p(k) itself, does not saturate at 1, where gradients vanish.

The counterfactual is found by projected, sparse gradient descent on the 28×28 input: each step moves the ink along
the gradient that raises digit k's logit over its strongest rival (normalised, so steps have a fixed size),
shrinks the change towards zero (the L1 "soft threshold", which keeps the change to few pixels), and clips the ink to
[0, 1]. It stops as soon as the network answers k. The whole loop runs inside one traced TensorFlow graph.

The threshold is measured in the step's own scale, a multiple of its mean change per pixel, and not in ink: a
batch-norm model trained with label smoothing spreads its gradient thinly over many pixels, and a fixed threshold
pulled every step back to where it started. It also halves every few steps, so that a digit far from the drawing is
still reached, with the sparsest change first tried.

Where the gradient vanishes, the search steps towards the mean training image of k instead, when the model's card
holds the class means. A network trained with outlier exposure (TrainConfig.outlier_weight) learns to switch every
unit off for some drawings between two digits: there its logits are its biases alone and no gradient points anywhere.
On the bundled model, 76.7% of `bench`'s 180 searches reached their digit without the step and 98.9% with it; the
model before it, with no such region, 93.9% (BENCHMARKS.md).
"""

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from lenet.explain import path_integral
from lenet.serve.inference import ModelLoadError

VANISHED_GRADIENT = 1e-9  # a gradient norm at or below this is taken as none: in a dead zone it is exactly 0


@dataclass(frozen=True)
class ExplainConfig:
    # The path from black to the drawing is first cut into path_steps pieces, and the pieces that need it are halved
    # (lenet.explain.path_integral) until the evidence's sum is within completeness_tolerance × the score change
    # (plus completeness_floor, for a score that hardly changes) or max_path_steps is reached. A fixed grid was up to
    # 31% off at 32 steps and 12% at 128 on a relu, max-pooling, batch-norm model: its error shrinks only as 1/steps.
    path_steps: int = 16
    max_path_steps: int = 512
    completeness_tolerance: float = 0.01
    completeness_floor: float = 0.01  # in units of log-probability
    counterfactual_steps: int = 300  # the step budget of the counterfactual search
    step_size: float = 0.25  # L2 length of each counterfactual step, in ink units over the 784 pixels
    sparsity: float = 2.0  # soft threshold per step, in multiples of the step's mean change per pixel
    sparsity_half_life: float = 30.0  # steps in which the threshold halves, so that a distant digit is reached
    change_floor: float = 0.05  # pixels changed by less than this are left out of the added/removed maps


@dataclass(frozen=True)
class Evidence:
    attributions: np.ndarray  # (28, 28), signed: positive pixels pushed the network towards `digit`
    score_change: float  # log p(digit) of the drawing minus that of a black image
    digit: int
    path_steps: int  # the pieces the path was cut into
    completeness_gap: float  # attributions' sum minus score_change


@dataclass(frozen=True)
class Counterfactual:
    target: int  # the digit asked for
    image: np.ndarray  # (28, 28) the changed drawing, ink in [0, 1]
    added: np.ndarray  # (28, 28) ink to add, ≥ 0
    removed: np.ndarray  # (28, 28) ink to remove, ≥ 0
    probability: float  # the model's probability for `target` after the change
    succeeded: bool  # the model answers `target` for the changed image
    steps: int  # gradient steps taken


class ExplainError(ValueError):
    """An explanation was asked of a wrong-shaped image or for a class the model does not have."""


class Explainer:
    """Evidence maps and counterfactuals for one model. Build once per model: the first calls trace the graphs."""

    def __init__(self, model, explain_config=None, class_means=None):
        """class_means: (10, 28, 28) mean training images (ModelCard.class_mean_images), which the counterfactual
        search steps towards where the gradient vanishes; without them it stops there."""
        self.config = explain_config or ExplainConfig()
        if class_means is not None and np.shape(class_means) != (10, 28, 28):
            raise ExplainError(f"class means must be (10, 28, 28), one image per digit; got {np.shape(class_means)}")
        self._class_means = None if class_means is None else tf.constant(class_means, tf.float32)
        try:
            output_layer = model.get_layer("OUTPUT")
        except ValueError:
            raise ModelLoadError("explanations need the model's last layer to be named OUTPUT, as "
                                 "lenet.model.builders.build_model names it") from None
        # The logits are computed from F6's output with OUTPUT's own weights, because the model ends in a softmax.
        self._penultimate = keras.Model(model.inputs, output_layer.input)
        self._kernel, self._bias = output_layer.kernel, output_layer.bias
        image_spec = tf.TensorSpec([28, 28], tf.float32)
        self._along_path = tf.function(self._along_path_graph, input_signature=[
            image_spec, tf.TensorSpec([None], tf.float32), tf.TensorSpec([], tf.int32)])
        self._counterfactual = tf.function(self._counterfactual_graph,
                                           input_signature=[image_spec, tf.TensorSpec([], tf.int32)])

    def evidence(self, digit_image, digit=None):
        """A signed (28, 28) map: positive pixels pushed the network towards `digit` (default: its answer).

        Also returns the score it explains, log p(digit) of the drawing, minus that of a black image; the map sums to
        this difference within the configured tolerance (integrated gradients' completeness), unless max_path_steps
        ran out first, which evidence_details reports.
        """
        found = self.evidence_details(digit_image, digit)
        return found.attributions, found.score_change

    def evidence_details(self, digit_image, digit=None):
        """The evidence map as an Evidence: with the steps the path took and how far its sum is from complete."""
        image = _check_image(digit_image)
        if digit is None:
            digit = int(np.argmax(self.logits(image)))
        _check_digit(digit)
        image_tensor, digit_tensor = tf.constant(image), tf.constant(digit, tf.int32)
        config = self.config
        integral = path_integral.integrate(
            lambda fractions: [value.numpy() for value in self._along_path(image_tensor, fractions, digit_tensor)],
            config.path_steps, config.max_path_steps, config.completeness_tolerance, config.completeness_floor)
        return Evidence(attributions=image * integral.mean_gradient, score_change=integral.score_change,
                        digit=int(digit), path_steps=integral.steps, completeness_gap=integral.gap)

    def counterfactual(self, digit_image, target):
        """The smallest change (in ink) found that makes the network answer `target`."""
        image = _check_image(digit_image)
        _check_digit(target)
        changed, probability, steps, succeeded = self._counterfactual(image, tf.constant(target, tf.int32))
        changed = changed.numpy()
        change = changed - image
        floor = self.config.change_floor
        return Counterfactual(target=int(target), image=changed, added=np.where(change > floor, change, 0.0),
                              removed=np.where(change < -floor, -change, 0.0), probability=float(probability),
                              succeeded=bool(succeeded), steps=int(steps))

    def logits(self, digit_image):
        """The ten logits for one (28, 28) image (for checks; not traced)."""
        return self._logits(tf.constant(_check_image(digit_image))[None])[0].numpy()

    def _logits(self, images):
        features = self._penultimate(images[..., None], training=False)
        return tf.matmul(features, self._kernel) + self._bias

    def _log_probability(self, images, digit):
        return tf.nn.log_softmax(self._logits(images))[:, digit]

    def _along_path_graph(self, image, fractions, digit):
        """At each fraction of the path from black to the image: the score, its slope along the path, its gradient."""
        path = fractions[:, None, None] * image[None]
        with tf.GradientTape() as tape:
            tape.watch(path)
            scores = self._log_probability(path, digit)
        gradients = tape.gradient(scores, path)
        return scores, tf.reduce_sum(gradients * image, axis=[1, 2]), gradients

    def _counterfactual_graph(self, image, target):
        step_size, sparsity, half_life = self.config.step_size, self.config.sparsity, self.config.sparsity_half_life
        others = 1.0 - tf.one_hot(target, 10)

        def answers_target(candidate):
            return tf.equal(tf.argmax(self._logits(candidate[None])[0], output_type=tf.int32), target)

        def keep_going(step, candidate):
            return tf.logical_and(step < self.config.counterfactual_steps, tf.logical_not(answers_target(candidate)))

        def one_step(step, candidate):
            with tf.GradientTape() as tape:
                tape.watch(candidate)
                logits = self._logits(candidate[None])[0]
                # The margin of the target over its strongest rival: raising it is what flips the answer.
                margin = logits[target] - tf.reduce_max(logits - 1e9 * (1.0 - others))
            gradient = self._uphill(tape.gradient(margin, candidate), candidate, target)
            move = step_size * gradient / (tf.norm(gradient) + 1e-12)
            # L1: changes smaller than the threshold fall back to zero. It follows the step's own scale, since how
            # thinly a model spreads its gradient varies, and halves every half_life steps.
            threshold = sparsity * tf.reduce_mean(tf.abs(move)) * 0.5 ** (tf.cast(step, tf.float32) / half_life)
            change = candidate + move - image
            change = tf.sign(change) * tf.nn.relu(tf.abs(change) - threshold)
            return step + 1, tf.clip_by_value(image + change, 0.0, 1.0)

        steps, changed = tf.while_loop(keep_going, one_step, (tf.constant(0), image))
        probability = tf.nn.softmax(self._logits(changed[None])[0])[target]
        return changed, probability, steps, answers_target(changed)

    def _uphill(self, gradient, candidate, target):
        """The margin's gradient; where it vanishes (every unit off), the way to the target's mean image."""
        if self._class_means is None:
            return gradient
        return tf.cond(tf.norm(gradient) > VANISHED_GRADIENT, lambda: gradient,
                       lambda: tf.gather(self._class_means, target) - candidate)


def _check_image(digit_image):
    image = np.asarray(digit_image, dtype=np.float32)
    if image.shape != (28, 28):
        raise ExplainError(f"expected a (28, 28) digit image, as preprocess.to_mnist_digit returns; got {image.shape}")
    return image


def _check_digit(digit):
    if not 0 <= int(digit) <= 9:
        raise ExplainError(f"the digit must be 0–9, got {digit!r}")
