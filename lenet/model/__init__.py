"""The network and what it says of itself: LeNet-5's builders and the model card inside every .keras file.

Imports from: files, data, config.
"""
