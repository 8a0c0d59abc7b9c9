"""Test figures of a trained model: accuracy, loss, the confusion matrix, and what its "not a digit" check costs."""

import numpy as np


def abstention_figures(true_labels, probabilities, looks_like):
    """The share of test images the model abstains on, and its accuracy on the others."""
    kept = np.asarray(looks_like, dtype=bool)
    right = probabilities.argmax(axis=1) == true_labels
    return {"abstained": float(1 - kept.mean()), "accuracy_on_rest": float(right[kept].mean()) if kept.any() else None}


def evaluation_figures(true_labels, probabilities):
    """Test accuracy, loss, the confusion matrix (rows: true class, columns: predicted) and per-class accuracy."""
    classes = probabilities.shape[1]
    predictions = probabilities.argmax(axis=1)
    confusion = np.bincount(true_labels * classes + predictions, minlength=classes * classes).reshape(classes, classes)
    picked = probabilities[np.arange(len(true_labels)), true_labels]
    return {
        "test_accuracy": float((predictions == true_labels).mean()),
        "test_loss": float(-np.log(np.clip(picked, 1e-7, 1.0)).mean()),
        "confusion_matrix": confusion.tolist(),
        "per_class_accuracy": (confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)).tolist(),
    }
