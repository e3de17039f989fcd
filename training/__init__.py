"""Offline training of the colorizer: data, two-phase cGAN training, evaluation, plots, export.

Run `python -m training --help`. Imports the networks, Lab conversion and artifact
format from the `model` package and never redefines them.
"""
