"""Threshold key custody, client side: share-request wire formats, sealing shares to a
requester's session key, gathering ``t`` of ``n`` shares, and the renter's fetch.

The validator's share service (``validator.shares``) imports the wire formats and session
sealing from here, so both ends share one definition. Import the submodules directly
(``node.custody.renter``, ``node.custody.gather``); this package imports nothing heavy.
"""

__all__: list[str] = []
