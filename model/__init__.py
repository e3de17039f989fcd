"""Colorization model: networks, CIELAB conversion, the serving artifact and the Colorizer.

This package imports torch, torchvision, Pillow, numpy and safetensors only; it
never imports Flask or the training code.
"""
