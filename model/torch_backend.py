"""The generator on torch (CPU or CUDA): the training-side network, also a serving backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from model.artifact import ArtifactMetadata, load_artifact
from model.generator import UNetGenerator


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """ "auto" picks CUDA when present, else the CPU."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class TorchBackend:
    """A `UNetGenerator` in eval mode on one device. `run` is safe to call from several threads."""

    name = "torch"

    def __init__(
        self,
        generator: UNetGenerator,
        metadata: ArtifactMetadata,
        device: str | torch.device = "cpu",
        source: str | Path | None = None,
    ) -> None:
        self._device = resolve_device(device)
        self.generator = generator.eval().to(self._device)
        self.metadata = metadata
        self.source = Path(source) if source else Path("<in memory>")
        self.threads = torch.get_num_threads()

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "auto", threads: int = 0) -> TorchBackend:
        """Rebuild the generator from an artifact on `device` ("auto": CUDA when present)."""
        if threads:
            # Process-wide in torch: the service sets it once per worker.
            torch.set_num_threads(int(threads))
        resolved = resolve_device(device)
        generator, metadata = load_artifact(path, device=resolved)
        return cls(generator, metadata, resolved, path)

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
