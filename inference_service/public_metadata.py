"""What GET /v1/model publishes of an artifact's metadata.

The artifact's `training` and `metrics` are free-form notes of whoever trained the
model: prose that names files and modules ("Recipe: training/recipes/hint_model.py"),
the training machine's folders, checkpoint names. None of that is the public's
business, and a file name helps nobody but an attacker. So of those two only the
figures are published (numbers, booleans, and the objects and lists made of them);
every string stays in the artifact (and the model card). The rest of the metadata
(name, version, generator shape, Lab scaling, render size, weights digest) is
published as it is.
"""

from __future__ import annotations

from typing import Any

FREE_FORM = ("training", "metrics")


def figures_only(value: Any) -> Any:
    """`value` without its strings (None when nothing is left of it)."""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        kept = {key: figures_only(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item is not None} or None
    if isinstance(value, list):
        kept_items = [item for item in (figures_only(item) for item in value) if item is not None]
        return kept_items or None
    return None


def public_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """The artifact metadata as GET /v1/model shows it: free-form parts cut to their figures."""
    public = dict(metadata)
    for name in FREE_FORM:
        if name in public:
            public[name] = figures_only(public[name]) or {}
    return public
