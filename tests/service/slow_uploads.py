"""Films uploaded side by side, each body sent slowly: what the job-limit tests send to gunicorn or a gateway."""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import time

# Each body arrives in this many pieces, this far apart: every upload is still being read
# while all the others start.
PIECES, PIECE_GAP_S = 6, 0.25


def slow_upload(
    url: str, path: str, body: bytes, headers: dict[str, str], answers: list, start: threading.Barrier
) -> None:
    """POST `path` with the film as a raw body, sent in PIECES over about PIECES x PIECE_GAP_S seconds;
    appends (status, JSON body) to `answers`, or (the connection's error, {})."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    start.wait()
    try:
        connection.putrequest("POST", path)
        for name, value in {"Content-Type": "video/mp4", **headers, "Content-Length": str(len(body))}.items():
            connection.putheader(name, value)
        connection.endheaders()
        step = -(-len(body) // PIECES)
        with contextlib.suppress(ConnectionError):  # refused before the body is read: the answer is waiting
            for offset in range(0, len(body), step):
                time.sleep(PIECE_GAP_S)
                connection.send(body[offset : offset + step])
        response = connection.getresponse()
        text = response.read()
        answers.append((response.status, json.loads(text) if text else {}))
    except (ConnectionError, http.client.HTTPException, ValueError) as error:
        answers.append((repr(error), {}))
    finally:
        connection.close()


def uploads_side_by_side(
    url: str, body: bytes, count: int, path: str = "/v1/videos", headers: dict[str, str] | None = None
) -> list:
    """`count` slow uploads of `body` to `url` + `path`, all started at once: (status, JSON body) of each,
    in the order they came."""
    answers: list = []
    start = threading.Barrier(count)
    threads = [
        threading.Thread(target=slow_upload, args=(url, path, body, headers or {}, answers, start))
        for _ in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return answers
