"""The REST inference service: `gunicorn 'inference_service:create_app()'` serves it.

`create_app` is imported on first use: gunicorn's master imports this package
for its worker class (`inference_service.worker`) and must not import the app,
and with it torch, before it forks its workers.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from inference_service.app import create_app  # lazy on purpose, see above

        return create_app
    raise AttributeError(f"module 'inference_service' has no attribute {name!r}")
