"""The app factory: settings, the model host, the routes, errors as JSON, logging, CORS."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import fields

import torch
from flask import Flask
from flask_cors import CORS

from inference_service.config import Settings
from inference_service import offload
from inference_service.errors import register_error_handlers
from inference_service.model_host import InferenceGate, ModelHost
from inference_service.request_log import REQUEST_ID_HEADER, configure_logging, install_request_logging
from inference_service.routes import ServiceState, api
from model.colorizer import Colorizer

logger = logging.getLogger("inference_service.app")

# Room for the multipart envelope and small form fields around an image of the maximum size.
MULTIPART_ALLOWANCE_BYTES = 64 * 1024
# Response headers a browser page may read when CORS is on.
_EXPOSED_HEADERS = [
    "Content-Disposition",
    "X-Model-Name",
    "X-Model-Version",
    "X-Inference-Ms",
    "X-Render-Size",
    REQUEST_ID_HEADER,
    "Retry-After",
]


def create_app(config: Mapping | None = None, *, model_loader: Callable[[], Colorizer] | None = None) -> Flask:
    """Build the service and start loading its model in the background.

    `config` overrides the `COLORIZER_*` environment (keys without the prefix, e.g.
    {"ARTIFACT": path, "QUEUE_SIZE": 0}); other keys (e.g. TESTING) go to Flask's
    config. `model_loader` replaces the default `Colorizer.load(artifact, device)`,
    e.g. to hold the load back in a test of the STARTING state.
    """
    config = dict(config or {})
    settings = Settings.from_sources(os.environ, config)
    configure_logging(settings.log_level)
    if settings.torch_threads:
        torch.set_num_threads(settings.torch_threads)

    app = Flask(__name__, static_folder=None)
    setting_keys = {spec.name.upper() for spec in fields(Settings)}
    app.config.update({key: value for key, value in config.items() if key not in setting_keys})
    # Werkzeug refuses larger bodies before reading them (413 payload_too_large).
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes + MULTIPART_ALLOWANCE_BYTES

    artifact = settings.artifact_path
    load = model_loader or (lambda: Colorizer.load(artifact, device=settings.device))
    host = ModelHost(load, description=str(artifact))
    gate = InferenceGate(settings.queue_size)
    app.extensions["colorizer"] = ServiceState(settings, host, gate)
    # Every admitted request (running or waiting) has a thread to wait on under gevent.
    offload.configure(gate.capacity)

    install_request_logging(app)
    register_error_handlers(app)
    app.register_blueprint(api)
    if settings.cors_origins:
        CORS(app, origins=list(settings.cors_origins), expose_headers=_EXPOSED_HEADERS, max_age=600)

    host.start()
    logger.info(
        "service created",
        extra={
            "fields": {
                "artifact": str(artifact),
                "device": settings.device,
                "torch_threads": torch.get_num_threads(),
                "queue_size": settings.queue_size,
                "pid": os.getpid(),
            }
        },
    )
    return app
