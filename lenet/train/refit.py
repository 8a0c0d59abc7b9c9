"""Fit a model's digit-likeness detector again and store it in its card: `python -m lenet refit-likeness [--model]`.

Training fits the detector when a run ends (training.write_summary); a model made before the detector's method or
its non-digits last changed keeps the old fit. This fits it again the same way, from the model's dataset's training
and validation images, today's outlier bank and, for digits, broken digits and scrawls, so a bundled model can
follow the detector's changes without training again: its weights, test accuracy and reproduce command stay as they
are. The card's class means (what "What would make it a k?" steps towards where the gradient vanishes) are written
again with it.
"""

from lenet import config as lenet_config
from lenet.data import sources
from lenet.model import card
from lenet.serve import digit_bank, inference, likeness, outlier_bank
from lenet.train import likeness_fit, metrics


def fit_and_score(model, splits, train_config):
    """(likeness statistics, the test images' likeness scores, their class probabilities) for a model trained with
    `train_config` and its dataset's splits. One pass over the test set gives both the detector's layers and the
    model's answer."""
    answer_layer = likeness_fit.answer_layer_for(train_config)
    stats = likeness_fit.fit_for_model(model, splits, answer_layer=answer_layer)
    answer = model.layers[-1].name
    test = likeness_fit.layer_features(model, splits.x_test, answer_layer=answer)
    return stats, likeness.score(stats, test), test[answer]


def fitted_card(classifier, splits, stats):
    """The classifier's card with what is fitted from its dataset: the likeness statistics and the class means."""
    class_means = card.class_means_of(splits.x_train, splits.y_train, classifier.dataset.num_classes)
    return classifier.card.replace(likeness=stats.to_dict(), class_means=class_means)


def refit_likeness(model_path=None, log=print):
    """Refit the likeness statistics in `model_path`'s card (default: the bundled MNIST model), in place.

    Returns the test set's figures under the new statistics: the share abstained and the accuracy on the rest.
    """
    classifier = inference.Classifier(model_path)
    log(f"refitting the likeness detector of {classifier.model_path} on {classifier.dataset.title}…")
    splits = sources.load(classifier.dataset.name, log=log)
    train_config = lenet_config.TrainConfig.from_dict(classifier.card.config or {"dataset": classifier.dataset.name})
    stats, test_scores, probabilities = fit_and_score(classifier.model, splits, train_config)
    figures = metrics.abstention_figures(splits.y_test.astype(int), probabilities, likeness.is_like(stats, test_scores))
    card.write(classifier.model_path, fitted_card(classifier, splits, stats))
    return {"model": str(classifier.model_path), "outlier_bank": outlier_bank.VERSION, "digit_bank": digit_bank.VERSION,
            **figures}
