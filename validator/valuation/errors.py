"""Errors raised by value estimation. All derive from :class:`node.errors.ValuationError`."""

from __future__ import annotations

from node.errors import ValuationError

__all__ = ["BackendError", "DataFormatError", "SpecError", "ValuationError"]


class SpecError(ValuationError):
    """A ValuationSpec is malformed, of an unknown version, or asks for something unsupported."""


class DataFormatError(ValuationError):
    """An input that is not a contributor's (validation set, pool, spec file) cannot be read.

    A contributor's own malformed file is not an error: it is flagged and scored 0.
    """


class BackendError(ValuationError):
    """A compute backend is unavailable (no CUDA, Ray not installed or unreachable)."""
