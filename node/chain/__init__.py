"""The chain layer: one sender (ChainClient), typed contract wrappers, ABIs synced from forge."""

__all__: list[str] = []
