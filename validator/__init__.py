"""datadao validator: staking, key custody, value estimation and commit/reveal scoring.

May import node's protocol core (protocol, chain, storage, parsers, errors, types), never node's
api, db, cli or pipeline (enforced by import-linter).
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
