"""Benchmarks: the engine against the tutorial, the presets against each other, and the Draw figures.

Imports from: every layer below it: files, data, config, model, serve, explain, train, runs.
"""
