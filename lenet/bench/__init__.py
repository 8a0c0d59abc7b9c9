"""Benchmarks: the engine against the tutorial, the presets against each other, the Draw figures ("not a digit"
on families it never saw and on type), and memory.

Imports from: every layer below it: files, data, config, model, serve, explain, train, runs.
"""
