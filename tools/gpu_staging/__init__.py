"""Moving training data to a lent GPU machine and results back, within its transfer limits.

Not part of the installed package: this is about one way of borrowing a GPU (one
command at a time, 64 MiB of files per call, files kept only while the machine is
held), not about training. `parts` packs photo folders into checked parts that fit a
call; `v2_session` runs the v2 recipe (training/recipes/v2_model.py) over such calls.
Run from the repository root: python -m tools.gpu_staging.v2_session --help.
"""
