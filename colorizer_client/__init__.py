"""A Python client for the colorizer's REST API (the inference service, or the gateway's /api/v1).

    from colorizer_client import ColorizerClient

    client = ColorizerClient("http://localhost:8000")           # or "http://localhost:8080/api"
    result = client.colorize("photo.jpg", vibrance=1.3, hints=[(0.3, 0.2, "#4682c8")])
    result.image.save("photo-colorized.png")
    job = client.colorize_video("film.mp4", "film-colorized.mp4", progress=lambda j: print(j.percent))

See colorizer_client/client.py for every method and README.md ("Use it from code").
"""

from colorizer_client.client import Colorized, ColorizerClient
from colorizer_client.errors import ApiError, ColorizerError, ServiceUnavailable, TransportError
from colorizer_client.videos import VideoJob, VideoJobFailed

__all__ = [
    "ApiError",
    "Colorized",
    "ColorizerClient",
    "ColorizerError",
    "ServiceUnavailable",
    "TransportError",
    "VideoJob",
    "VideoJobFailed",
]
