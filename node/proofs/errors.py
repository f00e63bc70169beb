"""Errors of the node's proof handling (attaching a proof file), not of verification.

Verification never raises for a proof (it returns a verdict); what can fail is the node reading
the file a contributor names with ``--proof``.
"""

from __future__ import annotations

from node.errors import InputError

__all__ = ["ProofFileError"]


class ProofFileError(InputError):
    """The ``--proof`` file is missing, empty, too large or of no known method."""
