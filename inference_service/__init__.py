"""The REST inference service: `gunicorn 'inference_service:create_app()'` serves it."""

from inference_service.app import create_app

__all__ = ["create_app"]
