"""Runs over time and between people: the run store, the worker process, and public mode's rules.

Imports from: files, data, config, model, serve, explain, train.
"""
