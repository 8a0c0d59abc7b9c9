"""Why the network answers as it does: the evidence map and counterfactual, and the feature map of what it learned.

Imports from: files, data, config, model, serve.
"""
