"""``python -m validator.shares --home H --validator ADDR --port N``: serve decryption shares."""

from __future__ import annotations

from validator.cli import serve_shares

if __name__ == "__main__":
    serve_shares(prog_name="python -m validator.shares")
