"""The decryption-share service: one per validator, its URL registered on chain.

``POST /v1/shares`` answers an EIP-712 signed request with this validator's Ferveo decryption
share, sealed to the requester, only after checking on the validator's own RPC view that the
requester is entitled (a granted renter, or a committee validator scoring the file's epoch) and
that the header in storage is the one registered on chain. See :mod:`validator.shares.app`.
"""

from validator.shares.app import ServedRitual, ShareServiceSettings, create_app

__all__ = ["ServedRitual", "ShareServiceSettings", "create_app"]
