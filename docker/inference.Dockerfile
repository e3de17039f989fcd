# The inference service: Flask + gunicorn + torch, with the shipped default model.
# Build from the repository root:  docker build -f docker/inference.Dockerfile .
# torch from PyPI is the CUDA build: the same image runs on the CPU, or on an NVIDIA
# GPU when the container is given one (see the GPU block in docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so code changes do not reinstall torch.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY model/ model/
COPY inference_service/ inference_service/

# Artifacts written by the trainer are private to their owner (0600, a temp file
# renamed into place); the service runs as another user and must read them.
RUN chmod -R a+rX model inference_service \
 && useradd --create-home --uid 10001 colorizer
USER colorizer

# Listen on every interface inside the container; gunicorn.conf.py reads the rest
# (workers, threads, timeouts) and the app its COLORIZER_* settings.
ENV COLORIZER_BIND=0.0.0.0:8000
EXPOSE 8000

# 200 only once the model is loaded (READY).
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/v1/health', timeout=4).status == 200 else 1)"]

CMD ["gunicorn", "-c", "inference_service/gunicorn.conf.py", "inference_service:create_app()"]
