"""Which backend runs the generator: ONNX Runtime (`onnx`, CPU, no torch) or torch (`torch`, CPU or CUDA).

`auto` (the default) picks torch where a CUDA GPU is present, else ONNX Runtime
when it is installed and the ONNX file is there, else torch on the CPU. Nothing
here imports torch unless torch is the answer: the probe for a GPU looks for the
NVIDIA driver's device files first, so a CPU machine never pays torch's import.
"""

from __future__ import annotations

import glob
import importlib.util
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from model.artifact import ArtifactError, ArtifactMetadata, onnx_path_for

BACKENDS = ("auto", "onnx", "torch")


class Backend(Protocol):
    """The generator behind the Colorizer: normalised network input in, normalised ab out."""

    name: str
    metadata: ArtifactMetadata
    source: Path

    @property
    def device(self) -> str:
        """Where the network runs: "cpu", "cuda:0", ..."""

    def run(self, inputs: np.ndarray) -> np.ndarray:
        """(B, in_channels, h, w) float32 -> (B, 2, h, w) float32 normalised ab."""

    def describe(self) -> dict:
        """backend, device, file and threads, for logs and /v1/model."""


class BackendUnavailable(ArtifactError):
    """The asked-for backend cannot run here (its package or its model file is missing)."""


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _cuda_present() -> bool:
    """A CUDA GPU torch can use; torch is imported only when the driver's files say one may exist."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1") or not installed("torch"):
        return False
    if not (glob.glob("/dev/nvidia[0-9]*") or os.path.exists("/proc/driver/nvidia/version")):
        return False
    import torch

    return torch.cuda.is_available()


def _wants_cuda(device: str) -> bool:
    return str(device).startswith("cuda")


def _artifact_of(path: Path) -> Path:
    """The .safetensors artifact for a path that may name its ONNX file."""
    return path.with_suffix(".safetensors") if path.suffix == ".onnx" else path


def choose_backend(path: str | Path, backend: str = "auto", device: str = "auto") -> str:
    """ "onnx" or "torch" for this artifact, request and machine (raises BackendUnavailable if neither can run)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    path = Path(path)
    if backend == "onnx" and _wants_cuda(device):
        raise BackendUnavailable("the onnx backend runs on the CPU; use the torch backend for CUDA")
    if backend != "auto":
        return backend
    if _wants_cuda(device) or (device == "auto" and _cuda_present()):
        return "torch"
    has_onnx_file = (path if path.suffix == ".onnx" else onnx_path_for(path)).is_file()
    if not has_onnx_file and not _artifact_of(path).is_file():
        raise ArtifactError(f"{path}: artifact file not found")
    if installed("onnxruntime") and has_onnx_file:
        return "onnx"
    if installed("torch") and _artifact_of(path).is_file():
        return "torch"
    if installed("onnxruntime"):
        raise BackendUnavailable(
            f"no ONNX file for {path}: export one with `colorizer export --artifact {_artifact_of(path)}` "
            "(needs the train extra), or install the torch extra to serve it with torch"
        )
    raise BackendUnavailable(
        "neither ONNX Runtime nor torch is installed: install the serve extra (pip install '.[serve]') "
        "or the torch extra (pip install '.[torch]')"
    )


def load_backend(path: str | Path, backend: str = "auto", device: str = "auto", threads: int = 0) -> Backend:
    """Load the artifact (or its ONNX file) on the chosen backend."""
    path = Path(path)
    chosen = choose_backend(path, backend, device)
    if chosen == "onnx":
        if not installed("onnxruntime"):
            raise BackendUnavailable(
                "the onnx backend needs onnxruntime: install the serve extra (pip install '.[serve]')"
            )
        onnx_file = path if path.suffix == ".onnx" else onnx_path_for(path)
        if not onnx_file.is_file():
            raise BackendUnavailable(
                f"{onnx_file}: no ONNX file; export it with `colorizer export --artifact {_artifact_of(path)}` "
                "(needs the train extra)"
            )
        from model.onnx_backend import OnnxBackend

        return OnnxBackend(onnx_file, threads=threads)
    if not installed("torch"):
        raise BackendUnavailable(
            "the torch backend needs torch: install the torch extra (pip install '.[serve,torch]')"
        )
    from model.torch_backend import TorchBackend

    return TorchBackend.load(_artifact_of(path), device=device, threads=threads)
