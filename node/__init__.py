"""datadao node: the contributor's node and the protocol core shared with validators.

Importing this package has no side effects; everything is built by the CLI or API at start-up.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
