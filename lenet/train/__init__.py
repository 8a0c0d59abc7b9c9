"""Training one model: input pipelines, `model.fit` with its callbacks, snapshots, test figures, the likeness fit,
fine-tuning and the command line that reproduces a config.

Imports from: files, data, config, model, serve, explain.
"""
