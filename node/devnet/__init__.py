"""Local devnet orchestration (anvil + Deploy.s.sol + validator bootstrap + key ritual)."""

__all__: list[str] = []
