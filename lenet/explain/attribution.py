"""Why this digit? An evidence map of the pixels that pushed the network towards its answer or away from it, and a
counterfactual: the smallest change to the drawing that would make the network answer another digit.

The evidence map uses integrated gradients (Sundararajan et al., 2017) from a black image, which is "no ink". Each
pixel's evidence is how much the network's score moved while that pixel's ink was faded in from nothing, along the
straight path from the black image to the drawing. The evidence adds up exactly (up to the sampling of the path) to
the score of the drawing minus the score of the black image, so every bit of the answer is accounted for, and a
learner can read red as "this ink made it a 7" and blue as "this ink argued against 7". We chose it over occlusion
(hiding patches and watching the score) because occlusion needs one forward pass per patch, sees only patch-sized
detail, and with a black patch says nothing about pixels that have no ink; integrated gradients costs one batched call
and gives one value per pixel. The score explained is the log-probability of the digit, log p(k) = logit_k −
logsumexp(logits): it measures evidence for k *against the other digits* and, unlike p(k) itself, does not saturate
at 1, where gradients vanish.

The counterfactual is found by projected, sparse gradient descent on the 28×28 input: each step moves the ink along
the gradient that raises digit k's logit over its strongest rival (normalised, so steps have a fixed size),
shrinks the change towards zero (the L1 "soft threshold", which keeps the change to few pixels), and clips the ink to
[0, 1]. It stops as soon as the network answers k. The whole loop runs inside one traced TensorFlow graph.
"""

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from lenet.serve.inference import ModelLoadError


@dataclass(frozen=True)
class ExplainConfig:
    # Points on the path from black to the drawing. The midpoint rule's completeness error shrinks as 1/steps² only
    # where the gradient is smooth; a relu and max-pooling network's jumps, so it shrinks as about 1/steps there (a
    # batch-norm `best` model: up to 12% off at 32 and 128 steps, within 1.2% at 512).
    path_steps: int = 32
    counterfactual_steps: int = 300  # the step budget of the counterfactual search
    step_size: float = 0.25  # L2 length of each counterfactual step, in ink units over the 784 pixels
    sparsity: float = 0.004  # soft threshold per step: changes smaller than this are pulled back to zero
    change_floor: float = 0.05  # pixels changed by less than this are left out of the added/removed maps


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

    def __init__(self, model, explain_config=None):
        self.config = explain_config or ExplainConfig()
        try:
            output_layer = model.get_layer("OUTPUT")
        except ValueError:
            raise ModelLoadError("explanations need the model's last layer to be named OUTPUT, as "
                                 "lenet.model.builders.build_model names it") from None
        # The logits are computed from F6's output with OUTPUT's own weights, because the model ends in a softmax.
        self._penultimate = keras.Model(model.inputs, output_layer.input)
        self._kernel, self._bias = output_layer.kernel, output_layer.bias
        image_spec = tf.TensorSpec([28, 28], tf.float32)
        self._integrated_gradients = tf.function(self._integrated_gradients_graph,
                                                 input_signature=[image_spec, tf.TensorSpec([], tf.int32)])
        self._counterfactual = tf.function(self._counterfactual_graph,
                                           input_signature=[image_spec, tf.TensorSpec([], tf.int32)])

    def evidence(self, digit_image, digit=None):
        """A signed (28, 28) map: positive pixels pushed the network towards `digit` (default: its answer).

        Also returns the score it explains, log p(digit) of the drawing, minus that of a black image; the map sums to
        about this difference (integrated gradients' completeness).
        """
        image = _check_image(digit_image)
        if digit is None:
            digit = int(np.argmax(self.logits(image)))
        _check_digit(digit)
        attributions, score_difference = self._integrated_gradients(image, tf.constant(digit, tf.int32))
        return attributions.numpy(), float(score_difference)

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

    def _integrated_gradients_graph(self, image, digit):
        steps = self.config.path_steps
        # Midpoints of `steps` equal pieces of the path from black (0) to the image: the midpoint rule.
        fractions = (tf.range(steps, dtype=tf.float32) + 0.5) / steps
        path = fractions[:, None, None] * image[None]
        with tf.GradientTape() as tape:
            tape.watch(path)
            scores = self._log_probability(path, digit)
        gradients = tape.gradient(scores, path)
        attributions = image * tf.reduce_mean(gradients, axis=0)
        ends = self._log_probability(tf.stack([image, tf.zeros_like(image)]), digit)
        return attributions, ends[0] - ends[1]

    def _counterfactual_graph(self, image, target):
        step_size, sparsity = self.config.step_size, self.config.sparsity
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
            gradient = tape.gradient(margin, candidate)
            moved = candidate + step_size * gradient / (tf.norm(gradient) + 1e-12)
            change = moved - image
            change = tf.sign(change) * tf.nn.relu(tf.abs(change) - sparsity)  # L1: small changes fall back to zero
            return step + 1, tf.clip_by_value(image + change, 0.0, 1.0)

        steps, changed = tf.while_loop(keep_going, one_step, (tf.constant(0), image))
        probability = tf.nn.softmax(self._logits(changed[None])[0])[target]
        return changed, probability, steps, answers_target(changed)


def _check_image(digit_image):
    image = np.asarray(digit_image, dtype=np.float32)
    if image.shape != (28, 28):
        raise ExplainError(f"expected a (28, 28) digit image, as preprocess.to_mnist_digit returns; got {image.shape}")
    return image


def _check_digit(digit):
    if not 0 <= int(digit) <= 9:
        raise ExplainError(f"the digit must be 0–9, got {digit!r}")
