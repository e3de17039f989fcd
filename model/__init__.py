"""Colorization model: networks, CIELAB conversion, the serving artifact and the Colorizer.

Two layers: the serving path (`colorizer`, `preprocessing`, `lab_numpy`, `hints`,
`propagation`, `artifact` metadata, `backends`, `onnx_backend`, `batching`) needs
NumPy, Pillow, safetensors and onnxruntime only, and never imports torch; the
torch side (`generator`, `encoders`, `lab`, `torch_backend`, loading and saving
artifacts) needs torch. The bottom layer: it imports none of the other packages
(docs/architecture.md; `lint-imports` checks it).
"""
