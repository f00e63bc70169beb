"""The ``datadao`` command line: one click group (``main.py``) whose subcommands load lazily."""

__all__: list[str] = []
