"""The serving artifact: the one file that crosses from training to serving.

A single `.safetensors` file. The tensors are the generator's state dict (float16
or float32 on disk, always float32 once loaded); the safetensors header's
`__metadata__` holds one key, `colorizer`, whose value is a JSON document:

    format_version   int, ARTIFACT_FORMAT_VERSION
    name, version    what the model is called, shown by the service and the web app
    generator        GeneratorConfig.to_dict(), enough to rebuild the network
    lab              LabNormalization.to_dict(): the scaling the network was trained with
    render_size      the short side, in pixels, the generator sees by default
    training         free-form description of the data and recipe
    metrics          validation metrics, e.g. {"val": {"psnr": ...}}
    weights_sha256   SHA-256 of the tensors as stored (the file's bytes after its header), so
                     two files with the same weights share it whatever their metadata says

Loading never unpickles anything.

The ONNX file derived from an artifact (`training.onnx_export`) sits beside it with
the suffix `.onnx` and carries the same metadata plus the SHA-256 of the artifact
it came from. This module imports torch only inside `save_artifact` and
`load_artifact`: reading metadata works on the torch-free (ONNX Runtime) path.
Artifacts written before `weights_sha256` existed get it computed when read.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safetensors import SafetensorError, safe_open

from model.generator_config import GeneratorConfig
from model.lab_numpy import DEFAULT_NORMALIZATION, LabNormalization

if TYPE_CHECKING:
    import torch

    from model.generator import UNetGenerator

ARTIFACT_FORMAT_VERSION = 1
METADATA_KEY = "colorizer"
DEFAULT_ARTIFACT_PATH = Path(__file__).resolve().parent / "weights" / "colorizer-default.safetensors"
ARTIFACT_PATH_ENV = "COLORIZER_ARTIFACT"
# The name `python -m training export` gives a ResNet18 model unless told otherwise (others: `model_name_for`).
DEFAULT_MODEL_NAME = "colorizer-resnet18-unet"


def model_name_for(encoder: str) -> str:
    """The default model name for a generator with `encoder`: colorizer-<encoder>-unet, e.g.
    colorizer-efficientnet-lite0-unet (the 1.x models' colorizer-resnet18-unet)."""
    return f"colorizer-{encoder.replace('_', '-')}-unet"


class ArtifactError(ValueError):
    """The artifact file is missing, unreadable, of an unknown version or incomplete."""


@dataclass
class ArtifactMetadata:
    name: str
    version: str
    generator: GeneratorConfig
    lab: LabNormalization = DEFAULT_NORMALIZATION
    render_size: int = 256
    training: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    format_version: int = ARTIFACT_FORMAT_VERSION
    weights_sha256: str | None = None  # None: not known (see `weights_sha256`)

    def to_dict(self) -> dict:
        return {
            "format_version": self.format_version,
            "name": self.name,
            "version": self.version,
            "generator": self.generator.to_dict(),
            "lab": self.lab.to_dict(),
            "render_size": self.render_size,
            "training": self.training,
            "metrics": self.metrics,
            "weights_sha256": self.weights_sha256,
        }

    @classmethod
    def from_dict(cls, values: dict, source: str = "artifact") -> ArtifactMetadata:
        version = values.get("format_version")
        if version != ARTIFACT_FORMAT_VERSION:
            raise ArtifactError(
                f"{source}: unsupported artifact format version {version!r} "
                f"(this code reads version {ARTIFACT_FORMAT_VERSION})"
            )
        try:
            return cls(
                name=str(values["name"]),
                version=str(values["version"]),
                generator=GeneratorConfig.from_dict(values["generator"]),
                lab=LabNormalization.from_dict(values["lab"]),
                render_size=int(values["render_size"]),
                training=dict(values.get("training", {})),
                metrics=dict(values.get("metrics", {})),
                format_version=version,
                weights_sha256=None if values.get("weights_sha256") is None else str(values["weights_sha256"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ArtifactError(f"{source}: malformed artifact metadata ({error!r})") from error


def default_artifact_path() -> Path:
    """The artifact used when none is named: $COLORIZER_ARTIFACT, else the shipped default."""
    return Path(os.environ.get(ARTIFACT_PATH_ENV) or DEFAULT_ARTIFACT_PATH)


def onnx_path_for(artifact: str | Path) -> Path:
    """Where the ONNX file derived from `artifact` lives: beside it, suffix .onnx."""
    return Path(artifact).with_suffix(".onnx")


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes (ties an ONNX file to the artifact it was exported from)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _tensor_bytes_offset(header_length: bytes) -> int:
    """Where a safetensors file's tensor data starts: after the 8-byte length and the JSON header."""
    return 8 + int.from_bytes(header_length, "little")


def weights_sha256(path: str | Path) -> str:
    """Hex SHA-256 of an artifact's tensors as stored: the safetensors file after its header.

    The header holds the metadata, so the digest stays the same when only the metadata
    changes (`python -m training evaluate --record-as`).
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        handle.seek(_tensor_bytes_offset(handle.read(8)))
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def metadata_from_json(text: str, source: str) -> ArtifactMetadata:
    """Parse the metadata document as stored in an artifact or an ONNX file."""
    try:
        values = json.loads(text)
    except json.JSONDecodeError as error:
        raise ArtifactError(f"{source}: artifact metadata is not valid JSON ({error})") from error
    if not isinstance(values, dict):
        raise ArtifactError(f"{source}: artifact metadata is not a JSON object")
    return ArtifactMetadata.from_dict(values, source=source)


def save_artifact(
    path: str | Path, generator: UNetGenerator, metadata: ArtifactMetadata, half_precision: bool = True
) -> Path:
    """Write the generator's weights and metadata to `path` (atomically: temp file + rename)."""
    import torch
    from safetensors.torch import save, save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dtype = torch.float16 if half_precision else torch.float32
    tensors = {}
    for key, value in generator.state_dict().items():
        value = value.detach().to("cpu")
        tensors[key] = (value.to(dtype) if value.is_floating_point() else value).contiguous()
    # The digest of the tensor bytes goes into the header, which precedes them: serialise
    # once to learn the bytes (the metadata does not change them), then for real.
    unhashed = save(tensors, metadata={METADATA_KEY: "{}"})
    metadata.weights_sha256 = hashlib.sha256(memoryview(unhashed)[_tensor_bytes_offset(unhashed[:8]) :]).hexdigest()
    del unhashed
    header = {METADATA_KEY: json.dumps(metadata.to_dict(), sort_keys=True)}
    temporary = path.with_name(path.name + ".tmp")
    save_file(tensors, str(temporary), metadata=header)
    os.replace(temporary, path)
    return path


def read_metadata(path: str | Path) -> ArtifactMetadata:
    """Read only the metadata (cheap: the tensors are not loaded)."""
    path = Path(path)
    with _open(path, framework="numpy") as handle:
        return _metadata_of(handle, path)


def load_artifact(path: str | Path, device: str | torch.device = "cpu") -> tuple[UNetGenerator, ArtifactMetadata]:
    """Rebuild the generator from an artifact, in eval mode and float32, on `device`."""
    from model.generator import UNetGenerator

    path = Path(path)
    with _open(path, framework="pt") as handle:
        metadata = _metadata_of(handle, path)
        generator = UNetGenerator(metadata.generator)
        expected = generator.state_dict()
        present = set(handle.keys())
        missing = sorted(set(expected) - present)
        if missing:
            raise ArtifactError(f"{path}: missing tensors {missing[:5]}{' ...' if len(missing) > 5 else ''}")
        unexpected = sorted(present - set(expected))
        if unexpected:
            raise ArtifactError(f"{path}: unexpected tensors {unexpected[:5]}")
        state_dict = {}
        for key, reference in expected.items():
            tensor = handle.get_tensor(key)
            if tensor.shape != reference.shape:
                raise ArtifactError(
                    f"{path}: tensor {key} has shape {tuple(tensor.shape)}, expected {tuple(reference.shape)}"
                )
            state_dict[key] = tensor.to(reference.dtype)
    generator.load_state_dict(state_dict)
    generator.eval().to(device)
    return generator, metadata


def _open(path: Path, framework: str) -> Any:  # safetensors' handle has no public type
    if not path.is_file():
        raise ArtifactError(f"{path}: artifact file not found")
    try:
        return safe_open(str(path), framework=framework, device="cpu")
    except (SafetensorError, OSError, ValueError) as error:
        raise ArtifactError(f"{path}: not a readable safetensors artifact ({error})") from error


def _metadata_of(handle: Any, path: Path) -> ArtifactMetadata:
    raw = (handle.metadata() or {}).get(METADATA_KEY)
    if raw is None:
        raise ArtifactError(f"{path}: no '{METADATA_KEY}' metadata in the safetensors header")
    metadata = metadata_from_json(raw, str(path))
    if metadata.weights_sha256 is None:  # written before the field existed
        metadata.weights_sha256 = weights_sha256(path)
    return metadata
