"""The app factory: settings, the model host, the routes, errors as JSON, logging, CORS."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import fields

from flask import Flask
from flask_cors import CORS

from inference_service import offload
from inference_service.client_identity import install_client_check
from inference_service.config import Settings
from inference_service.errors import register_error_handlers
from inference_service.model_host import InferenceGate, ModelHost
from inference_service.protocol_errors import refuse_ambiguous_framing
from inference_service.request_log import REQUEST_ID_HEADER, configure_logging, install_request_logging
from inference_service.routes import ServiceState, api
from inference_service.video_jobs import JobStore
from inference_service.video_routes import VideoService, videos
from model.backends import load_backend
from model.colorizer import Colorizer

logger = logging.getLogger("inference_service.app")

# Batching wait when COLORIZER_BATCH_WAIT_MS is auto and the model runs on CUDA: a few
# ms gathers the concurrent requests of a burst, small beside a forward plus decode/encode.
GPU_BATCH_WAIT_MS = 5.0
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
    config. `model_loader` replaces the default `load_colorizer(settings)`,
    e.g. to hold the load back in a test of the STARTING state.
    """
    config = dict(config or {})
    settings = Settings.from_sources(os.environ, config)
    configure_logging(settings.log_level)

    app = Flask(__name__, static_folder=None)
    setting_keys = {spec.name.upper() for spec in fields(Settings)}
    app.config.update({key: value for key, value in config.items() if key not in setting_keys})
    # Werkzeug refuses larger bodies before reading them (413 payload_too_large).
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes + MULTIPART_ALLOWANCE_BYTES

    artifact = settings.artifact_path
    gate = InferenceGate(settings.queue_size)

    def load() -> Colorizer:
        colorizer = model_loader() if model_loader else load_colorizer(settings)
        if colorizer.batching["wait_ms"] > 0:
            gate.allow_parallel_work()  # the batcher needs the requests at the model together
        return colorizer

    host = ModelHost(load, description=str(artifact))
    app.extensions["colorizer"] = ServiceState(settings, host, gate)
    video_store = JobStore(settings.video_path, settings.video_heartbeat_timeout_s)
    app.extensions["colorizer_videos"] = VideoService(settings, video_store, queue=None)
    # Every admitted request (running or waiting) has a thread to wait on under gevent.
    offload.configure(gate.capacity)

    install_request_logging(app)
    install_client_check(app)
    register_error_handlers(app)
    refuse_ambiguous_framing(app)
    app.register_blueprint(api)
    app.register_blueprint(videos)
    if settings.cors_origins:
        CORS(app, origins=list(settings.cors_origins), expose_headers=_EXPOSED_HEADERS, max_age=600)

    host.start()
    logger.info(
        "service created",
        extra={
            "fields": {
                "artifact": str(artifact),
                "device": settings.device,
                "backend": settings.backend,
                "model_threads": settings.model_threads or "backend default",
                "queue_size": settings.queue_size,
                "pid": os.getpid(),
            }
        },
    )
    return app


def load_colorizer(settings: Settings) -> Colorizer:
    """The service's Colorizer: the configured backend, batching on where it pays (CUDA)."""
    backend = load_backend(settings.artifact_path, settings.backend, settings.device, settings.model_threads)
    wait_ms = settings.batch_wait_ms
    if wait_ms is None:
        wait_ms = GPU_BATCH_WAIT_MS if backend.device.startswith("cuda") else 0.0
    return Colorizer(backend, batch_wait_s=wait_ms / 1000, max_batch=settings.max_batch)
