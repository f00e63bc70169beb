"""``Layout.describe`` and ``Layout.kubo_add_command``: what ``datadao cid`` tells people.

The ``ipfs add`` line must give the same CID in Kubo, so it may leave out exactly the flags whose
value is Kubo's default, and no others (Kubo turns raw leaves on by itself for CIDv1).
"""

from __future__ import annotations

import pytest

from node.storage.unixfs import KUBO_V0_LAYOUT, PROJECT_LAYOUT, Layout


@pytest.mark.parametrize(
    ("layout", "words", "command"),
    [
        (
            PROJECT_LAYOUT,
            "CIDv1, raw leaves, 256 KiB chunks, 174 links",
            "ipfs add --cid-version=1",
        ),
        (KUBO_V0_LAYOUT, "CIDv0, dag-pb leaves, 256 KiB chunks, 174 links", "ipfs add"),
        (
            Layout(cid_version=1, raw_leaves=False),
            "CIDv1, dag-pb leaves, 256 KiB chunks, 174 links",
            "ipfs add --cid-version=1 --raw-leaves=false",
        ),
        (
            Layout(cid_version=0, raw_leaves=True, chunk_size=1 << 20, max_links=1024),
            "CIDv0, raw leaves, 1 MiB chunks, 1024 links",
            "ipfs add --raw-leaves=true --chunker=size-1048576 --max-file-links=1024",
        ),
        (
            Layout(chunk_size=1000, max_links=2),
            "CIDv1, raw leaves, 1000-byte chunks, 2 links",
            "ipfs add --cid-version=1 --chunker=size-1000 --max-file-links=2",
        ),
    ],
)
def test_words_and_the_equivalent_ipfs_add(layout: Layout, words: str, command: str) -> None:
    assert layout.describe() == words
    assert layout.kubo_add_command() == command
