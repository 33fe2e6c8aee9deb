"""Takara Map's benchmark suite: `python -m bench.run` (see bench/run.py and bench/results.md).

Everything it generates or downloads goes to a cache folder outside the repository (default
/tmp/takara-bench); only bench/results.md and bench/results.json are written inside it."""
