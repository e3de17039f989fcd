# Shortcuts for the scripts in scripts/ (the README's commands call the scripts directly,
# so a machine without make works too).
.PHONY: setup run test test-python test-web bench

setup:
	bash scripts/setup.sh

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

test-python:
	.venv/bin/python -m pytest tests -q

test-web:
	bash scripts/test-web.sh

bench:
	.venv/bin/python benchmarks/bench_pre_post.py
	.venv/bin/python benchmarks/bench_backends.py
	.venv/bin/python benchmarks/bench_serving.py
	.venv/bin/python benchmarks/bench_generator.py
	.venv/bin/python benchmarks/bench_training.py
	.venv/bin/python benchmarks/bench_service.py
	.venv/bin/python benchmarks/bench_gateway.py
	.venv/bin/python benchmarks/bench_batch.py
