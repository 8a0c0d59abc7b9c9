"""The datasets and the images around them: each dataset described once, its sources and checks, my digits, drawings
made in code, doodles drawn by people, and views for browsing.

Imports from: files.
"""
