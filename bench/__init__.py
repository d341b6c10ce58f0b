"""Benchmarks. Each ``bench/<name>.py`` module has a ``main(argv)`` that prints a markdown table with its figures
next to a baseline measured in the same run. ``python -m bench`` runs them all; ``python -m bench relay`` one."""
