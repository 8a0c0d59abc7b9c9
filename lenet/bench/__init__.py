"""Benchmarks: the engine against the tutorial, the presets against each other, the Draw figures, and memory.

Imports from: every layer below it: files, data, config, model, serve, explain, train, runs.
"""
