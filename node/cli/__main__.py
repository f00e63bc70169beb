"""``python -m node.cli`` = ``datadao`` (tests and environments without the console script)."""

from node.cli.main import main

main()
