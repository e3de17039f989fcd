"""The generator on torch (CPU or CUDA): the training-side network, also a serving backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from model.artifact import ArtifactMetadata, load_artifact
from model.generator import UNetGenerator


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """"auto" picks CUDA when present, else the CPU."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class TorchBackend:
    """A `UNetGenerator` in eval mode on one device. `run` is safe to call from several threads."""

    name = "torch"

    def __init__(self, path: str | Path, device: str | torch.device = "auto", threads: int = 0) -> None:
        self.source = Path(path)
        self._device = resolve_device(device)
        if threads:
            # Process-wide in torch: the service sets it once per worker.
            torch.set_num_threads(int(threads))
        self.threads = torch.get_num_threads()
        self.generator, self.metadata = load_artifact(self.source, device=self._device)

    @classmethod
    def from_generator(
        cls, generator: UNetGenerator, metadata: ArtifactMetadata, device: str | torch.device = "cpu"
    ) -> "TorchBackend":
        """A backend around a generator already in memory (training code, tests)."""
        backend = cls.__new__(cls)
        backend.source = Path("<in memory>")
        backend._device = resolve_device(device)
        backend.threads = torch.get_num_threads()
        backend.generator, backend.metadata = generator.eval().to(backend._device), metadata
        return backend

    @property
    def device(self) -> str:
        return str(self._device)

    @torch.inference_mode()
    def run(self, inputs: np.ndarray) -> np.ndarray:
        """(B, in_channels, h, w) float32 network input -> (B, 2, h, w) normalised ab, as NumPy."""
        batch = torch.from_numpy(np.ascontiguousarray(inputs, dtype=np.float32)).to(self._device)
        return self.generator(batch).float().cpu().numpy()

    def describe(self) -> dict:
        return {"backend": self.name, "device": self.device, "file": self.source.name, "threads": self.threads}
