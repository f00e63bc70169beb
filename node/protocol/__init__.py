"""Wire formats and cryptography shared by the node and the validator.

``node.protocol.crypto`` is the sealing recipe (DDF v1) and the only module application code
should import for encryption; modules starting with ``_`` are hazardous primitives behind it.
"""

__all__: list[str] = []
