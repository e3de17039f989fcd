"""The generator on ONNX Runtime (CPU): the serving backend that needs no torch.

Loads the ONNX file written by `training.onnx_export` and reads the artifact's
metadata from inside it. Imports NumPy and onnxruntime only: nothing on this
path imports torch (tests/model/test_backends.py checks `sys.modules`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from model.artifact import (
    METADATA_KEY,
    ArtifactError,
    ArtifactMetadata,
    file_sha256,
    metadata_from_json,
    weights_sha256,
)
from model.preprocessing import RENDER_MULTIPLE

# The ONNX file's contract, shared with the export step that writes it (training.onnx_export).
SOURCE_SHA256_KEY = f"{METADATA_KEY}.source_sha256"
SOURCE_NAME_KEY = f"{METADATA_KEY}.source_name"
INPUT_NAME = "input"

# ONNX Runtime's telemetry (Microsoft's 1DS events) resolves and posts to an events host
# from a thread of its own once a session has run a while (seen under strace in the video
# worker); disable_telemetry_events() does not stop that, this variable does, read when
# onnxruntime is imported (this module imports it only when a backend is made).
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")


class OnnxBackend:
    """An ONNX Runtime session on the CPU. `run` is safe to call from several threads."""

    name = "onnx"
    device = "cpu"

    def __init__(self, path: str | Path, threads: int = 0) -> None:
        import onnxruntime

        self.source = Path(path)
        if not self.source.is_file():
            raise ArtifactError(f"{self.source}: ONNX file not found")
        onnxruntime.disable_telemetry_events()  # not enough alone: ORT_DISABLE_TELEMETRY (above) stops the uploads
        options = onnxruntime.SessionOptions()
        # 0 lets ONNX Runtime use every core; the service gives each worker its share.
        options.intra_op_num_threads = max(0, int(threads))
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self._session = onnxruntime.InferenceSession(str(self.source), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own types for unreadable files
            raise ArtifactError(f"{self.source}: not a loadable ONNX model ({error})") from error
        properties = self._session.get_modelmeta().custom_metadata_map
        if METADATA_KEY not in properties:
            raise ArtifactError(f"{self.source}: no '{METADATA_KEY}' metadata (export it with `colorizer export`)")
        self.metadata: ArtifactMetadata = metadata_from_json(properties[METADATA_KEY], str(self.source))
        self.source_sha256 = properties.get(SOURCE_SHA256_KEY)
        self.source_name = properties.get(SOURCE_NAME_KEY)
        self.threads = options.intra_op_num_threads
        self._check_source_is_current()
        if self.metadata.weights_sha256 is None:
            self.metadata.weights_sha256 = self._artifact_weights_sha256()

    def _check_source_is_current(self) -> None:
        """Refuse an ONNX file whose artifact beside it has changed since the export."""
        if not (self.source_sha256 and self.source_name):
            return
        artifact = self.source.with_name(self.source_name)
        if artifact.is_file() and file_sha256(artifact) != self.source_sha256:
            raise ArtifactError(
                f"{self.source} was exported from another version of {artifact.name}: "
                f"re-export it with `colorizer export --artifact {artifact}` (needs the train extra)"
            )

    def _artifact_weights_sha256(self) -> str | None:
        """For an export of an artifact older than the field: its digest, when that artifact is beside
        this file (and is the one exported, see above); else None, which /v1/model reports as null."""
        if not self.source_name:
            return None
        artifact = self.source.with_name(self.source_name)
        return weights_sha256(artifact) if artifact.is_file() else None

    def run(self, inputs: np.ndarray) -> np.ndarray:
        """(B, in_channels, h, w) float32 network input, h and w multiples of 32 -> (B, 2, h, w) normalised ab."""
        _check_inputs(inputs, self.metadata.generator.in_channels)
        return self._session.run(None, {INPUT_NAME: np.ascontiguousarray(inputs, dtype=np.float32)})[0]

    def describe(self) -> dict:
        return {"backend": self.name, "device": self.device, "file": self.source.name, "threads": self.threads}


def _check_inputs(inputs: np.ndarray, channels: int) -> None:
    if inputs.ndim != 4 or inputs.shape[1] != channels:
        raise ValueError(f"the generator takes (batch, {channels}, height, width), got {inputs.shape}")
    if inputs.shape[2] % RENDER_MULTIPLE or inputs.shape[3] % RENDER_MULTIPLE:
        raise ValueError(f"height and width must be multiples of {RENDER_MULTIPLE}, got {inputs.shape[2:]}")
