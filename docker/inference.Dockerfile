# The inference service, multi-stage. Build from the repository root:
#   docker build -f docker/inference.Dockerfile .                 # CPU: ONNX Runtime, no torch
#   docker build -f docker/inference.Dockerfile --target gpu .    # + the torch backend (CUDA)
#
# Stage "export" has torch: it derives the ONNX file from the shipped artifact (the
# one source of the weights) and builds the wheel with it. The runtime stages install
# that wheel with the serve extra only; "gpu" adds torch for CUDA (COLORIZER_BACKEND
# auto picks it when the container is given a GPU, see docker-compose.yml).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS export
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# Dependencies first (torch is large): only the project metadata, then the code.
COPY pyproject.toml README.md ./
RUN python - <<'PY' > /tmp/train-requirements.txt
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
extras = project["optional-dependencies"]
names = project["dependencies"] + extras["torch"] + [r for r in extras["train"] if not r.startswith("lab-colorizer")]
print("\n".join(names))
PY
RUN pip install -r /tmp/train-requirements.txt
COPY model/ model/
COPY video/ video/
COPY training/ training/
COPY inference_service/ inference_service/
COPY colorizer_cli/ colorizer_cli/
RUN python -m colorizer_cli export --artifact model/weights/colorizer-default.safetensors \
 && pip wheel --no-deps --wheel-dir /wheels .

FROM ${PYTHON_IMAGE} AS cpu
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=export /wheels /wheels
# video: PyAV and OpenCV for films (video jobs), and the Redis client of their shared queue.
# /videos is the mount point of the compose file's shared video volume: owned by the
# service's user in the image, so a new named volume starts owned by it too.
RUN wheel="$(ls /wheels/lab_colorizer-*.whl)" \
 && pip install "lab-colorizer[serve,keys,video] @ file://${wheel}" \
 && useradd --create-home --uid 10001 colorizer \
 && mkdir /videos && chown colorizer /videos
USER colorizer
WORKDIR /home/colorizer
# Listen on every interface inside the container; gunicorn.conf.py reads the rest
# (workers, threads, timeouts) and the app its COLORIZER_* settings.
ENV COLORIZER_BIND=0.0.0.0:8000
EXPOSE 8000
# 200 only once the model is loaded (READY).
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/v1/health', timeout=4).status == 200 else 1)"]
CMD ["colorizer", "serve"]

FROM cpu AS gpu
USER root
# torch from the package index is the CUDA build: the same image still runs on a CPU.
RUN wheel="$(ls /wheels/lab_colorizer-*.whl)" && pip install "lab-colorizer[serve,torch,keys,video] @ file://${wheel}"
USER colorizer
