"""Runs over time and between people: the run store, the worker process, public mode's rules, and class mode's
class set, host and class models.

Imports from: files, data, config, model, serve, explain, train.
"""
