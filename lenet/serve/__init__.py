"""Answering for one drawing or photo: preprocessing as MNIST was made, the classifier, and the digit-likeness check
with the non-digits and the drawn digits it learns from.

Imports from: files, data, config, model.
"""
