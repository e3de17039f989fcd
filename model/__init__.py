"""Colorization model: networks, CIELAB conversion, the serving artifact and the Colorizer.

Two layers: the serving path (`colorizer`, `preprocessing`, `lab_numpy`, `hints`,
`propagation`, `artifact` metadata, `backends`, `onnx_backend`, `batching`) needs
NumPy, Pillow, safetensors and onnxruntime only, and never imports torch; the
torch side (`generator`, `discriminator`, `lab`, `torch_backend`, `onnx_export`,
loading and saving artifacts) needs torch and torchvision. Nothing here imports
Flask or the training code.
"""
