"""gunicorn settings for the inference service.

    .venv/bin/gunicorn -c inference_service/gunicorn.conf.py 'inference_service:create_app()'

Every value can be changed from the environment (COLORIZER_BIND, PORT,
COLORIZER_WORKERS, COLORIZER_WORKER_CLASS, COLORIZER_WORKER_CONNECTIONS,
COLORIZER_CLIENT_TIMEOUT, COLORIZER_THREADS, COLORIZER_MODEL_THREADS,
COLORIZER_TIMEOUT);
the app's own settings (artifact, device, limits, queue size) are read by
create_app from the same COLORIZER_* namespace. Neither torch nor ONNX Runtime is
imported here: the master process stays small and never starts a thread pool
before forking.
"""

import importlib.util
import os
import subprocess
import sys
import threading
import time

# Torch-free: the app's settings module, for COLORIZER_* parsing and the queue size.
from inference_service.config import Settings, env_int


def _cpu_count() -> int:
    # The cores this process may use (a container's CPU set), not the host's total.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# Where to listen. Local-only by default; set COLORIZER_BIND=0.0.0.0:8000 in a
# container, or PORT to change only the port (the platform convention).
bind = os.environ.get("COLORIZER_BIND") or f"127.0.0.1:{os.environ.get('PORT') or 8000}"

# The app to serve when none is given on the command line (the command line wins).
wsgi_app = "inference_service:create_app()"

# Worker processes, each with its own model copy. Two let one worker decode and
# encode while the other runs the network, and keep serving if one restarts;
# more than the cores only adds memory and contention.
workers = env_int("WORKERS", 2)

# How each worker serves its connections. "gevent" (the default): every
# connection is a greenlet on one event loop and the model runs on real threads
# (inference_service/worker.py), so slow or stalled clients cost memory, not
# threads: measured, 64 clients trickling a byte a second left health checks and
# colorizations at their usual times, where with "gthread" 16 of them froze the
# worker (benchmarks/bench_slow_clients.py). "gthread" (a fixed pool of threads,
# each busy for the whole time its request is read) remains available.
_worker_kind = os.environ.get("COLORIZER_WORKER_CLASS", "gevent").strip() or "gevent"
# "gevent" names the project's worker; any other value goes to gunicorn as it is.
worker_class = {"gevent": "inference_service.worker.ColorizerGeventWorker"}.get(_worker_kind, _worker_kind)

# gevent: connections (greenlets) one worker holds at once; beyond that they wait
# in the listen backlog. Each costs a few kB plus what its upload has sent so far.
worker_connections = env_int("WORKER_CONNECTIONS", 1000)

# gevent: seconds a client may stay silent while its request is read or its
# answer written before it is dropped (applied in post_fork below).
client_timeout = env_int("CLIENT_TIMEOUT", 30)

# The app's wait queue per worker: the app's own setting (COLORIZER_QUEUE_SIZE), read
# the way create_app reads it (an invalid value stops the master here, with its name).
_queue_size = Settings.from_sources().queue_size
# gthread only: threads in each worker, so that /v1/health answers and a full
# queue is refused with 503 at once while the model is busy: one runs the model,
# COLORIZER_QUEUE_SIZE wait for it, and two are spare for health checks, uploads
# in progress and quick refusals. The app's InferenceGate, not this number,
# bounds the model's queue.
threads = env_int("THREADS", 1 + _queue_size + 2)

# Network threads (torch or ONNX Runtime) per worker: the app's setting
# (COLORIZER_MODEL_THREADS), else (its default, 0) the cores shared out between the
# workers, so that they do not oversubscribe the CPU (handed to the app in post_fork below).
model_threads = Settings.from_sources().model_threads or max(1, _cpu_count() // max(1, workers))

# Off, so that each worker imports torch and loads its model itself after the
# fork: torch's thread pools and CUDA do not survive a fork, and the model loads
# on a background thread that would not exist in the workers.
preload_app = False

# A worker whose main loop is silent this long is killed and replaced (a hang
# detector, not a per-request limit: the loop stays free while the model runs). Generous, because a
# 50-megapixel image on a small CPU takes a while.
timeout = env_int("TIMEOUT", 120)

# On shutdown or reload, requests in progress get this long to finish.
graceful_timeout = 30

# Seconds an idle connection is kept open; 0 closes it after each response. Off
# by default: a kept-alive client connection stays with the worker that accepted
# it, so a few busy keep-alive clients (the gateway's pool) can all land on one
# worker while the others idle. A new TCP connection per request costs well under
# a millisecond beside tens of milliseconds of colorization.
keepalive = env_int("KEEPALIVE", 0)

# Longest request line (method, URL, version), gunicorn's maximum: 64 colour hints
# in the query string need about 5-6 KB once URL-encoded; the default (4094) would
# refuse them before the app could answer.
limit_request_line = 8190

# A header whose name has an underscore (Transfer_Encoding, Content_Length) is refused
# with 400 instead of dropped: a proxy in front that read it as its dashed twin would
# frame the request differently from this server (the shape of request smuggling).
header_map = "refuse"

# Workers are never recycled after N requests: each restart reloads the model,
# and its requests would meet 503 not_ready meanwhile.
max_requests = 0

# The heartbeat file lives in memory, not on a disk that can stall (containers).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# No gunicorn access log: the app writes one JSON line per request itself.
accesslog = None

# gunicorn's own messages (start, worker boot, errors) go to stderr.
errorlog = "-"
# How chatty those messages are.
loglevel = os.environ.get("COLORIZER_GUNICORN_LOG_LEVEL", "info")

# No control socket (gunicornc) unless COLORIZER_CONTROL_SOCKET names one: its
# default path is shared by every gunicorn of the user, so a second instance on
# the machine (tests, benchmarks, the gateway's end-to-end run) would collide.
control_socket = os.environ.get("COLORIZER_CONTROL_SOCKET") or None
# ... and so the socket is off when that variable is unset.
control_socket_disable = not control_socket

# The name shown by ps and top.
proc_name = "colorizer-inference"


def post_fork(server, worker):
    """In each new worker, before the app is loaded: network threads, allocator, JSON protocol errors.

    The app reads the variable and gives it to the backend (torch or ONNX Runtime)
    when it loads the model; neither is imported here, so a torch-free install works.
    """
    os.environ["COLORIZER_MODEL_THREADS"] = str(model_threads)
    from inference_service import memory, protocol_errors  # in the worker, after the fork

    memory.tune_allocator()
    protocol_errors.install()
    worker.client_timeout_s = client_timeout
    server.log.info("worker %s: the model uses %d thread(s)", worker.pid, model_threads)


# Video jobs run in one separate process (inference_service/video_worker.py) that this
# master starts once it listens and restarts if it dies, when COLORIZER_VIDEO_WORKERS is
# above 0 (the default, 1: `colorizer serve` alone runs video jobs) and the video extra is
# installed. 0 leaves them to `colorizer video-worker` processes elsewhere (docker compose).
_video_workers = Settings.from_sources().video_workers
_video_worker: dict = {"process": None, "stopping": False}
# A worker that keeps dying is started again at most this often.
_VIDEO_WORKER_RESTART_S = 2.0


def _start_video_worker(server):
    process = subprocess.Popen([sys.executable, "-m", "inference_service.video_worker"])
    _video_worker["process"] = process
    server.log.info("video worker started (pid %s)", process.pid)
    return process


def _supervise_video_worker(server):
    while not _video_worker["stopping"]:
        process = _video_worker["process"]
        code = process.wait()
        if _video_worker["stopping"]:
            return
        server.log.warning("video worker %s exited with %s; starting another", process.pid, code)
        time.sleep(_VIDEO_WORKER_RESTART_S)
        if not _video_worker["stopping"]:
            _start_video_worker(server)


def _stop_video_worker():
    _video_worker["stopping"] = True
    process = _video_worker["process"]
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def on_exit(server):  # noqa: ARG001 - gunicorn passes the arbiter
    """The master is leaving: its video worker goes with it."""
    _stop_video_worker()


def when_ready(server):
    """Once the master listens: say how the machine is shared out."""
    server.log.info(
        "colorizer inference on %s: %d %s worker(s), %d model thread(s) each, %d core(s)",
        bind,
        workers,
        _worker_kind,
        model_threads,
        _cpu_count(),
    )
    if _video_workers > 0 and importlib.util.find_spec("av") is not None:
        _start_video_worker(server)
        threading.Thread(target=_supervise_video_worker, args=(server,), name="video-worker", daemon=True).start()
