#!/usr/bin/env python3
"""Chain-layer benchmark on anvil: devnet bring-up, transaction throughput, lifecycle wall time.

    .venv/bin/python scripts/bench/chain.py [--txs 200] [--submissions 100]

Throughput compares ChainClient (nonces tracked locally, a burst broadcast then receipts awaited)
with the named reference, plain web3.py used the common way (build, sign, send, wait for the
receipt, one transaction at a time), in the same run on the same anvil, and prints the ratio.
The lifecycle figure is the wall time printed by tests/integration/chain/test_lifecycle.py.
"""

from __future__ import annotations

import argparse
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from web3 import Web3

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from node.chain.anvil import AnvilProcess, devnet_account  # noqa: E402
from node.chain.client import ChainClient  # noqa: E402
from node.chain.dataset_config import DatasetConfig  # noqa: E402
from node.chain.deployment import Deployment  # noqa: E402
from node.chain.eip712 import SubmissionMessage, sign  # noqa: E402
from node.chain.registry import SubmissionRegistry  # noqa: E402
from node.devnet.manager import DevnetOptions, devnet_down, devnet_up  # noqa: E402
from node.types import DatasetId  # noqa: E402


def reference_transfers(url: str, n: int) -> float:
    """web3.py, one transaction at a time: the usual tutorial loop."""
    w3 = Web3(Web3.HTTPProvider(url))
    acct = devnet_account(18)
    to = devnet_account(19).address
    t0 = time.perf_counter()
    for _ in range(n):
        tx = {
            "to": to,
            "value": 1,
            "gas": 21_000,
            "nonce": w3.eth.get_transaction_count(acct.address),
            "chainId": w3.eth.chain_id,
            "maxFeePerGas": 2 * w3.eth.get_block("latest")["baseFeePerGas"] + 10**9,
            "maxPriorityFeePerGas": 10**9,
        }
        signed = acct.sign_transaction(tx)  # type: ignore[arg-type]
        h = w3.eth.send_raw_transaction(signed.raw_transaction)
        w3.eth.wait_for_transaction_receipt(h, poll_latency=0.05)
    return n / (time.perf_counter() - t0)


def ours_transfers(url: str, n: int) -> float:
    client = ChainClient.connect(url, devnet_account(17))
    to = devnet_account(19).address
    t0 = time.perf_counter()
    pending = [client.transfer_nowait(to, 1) for _ in range(n)]
    for p in pending:
        client.wait(p)
    return n / (time.perf_counter() - t0)


def submissions(d: Deployment, n: int, *, burst: bool) -> float:
    """EIP-712 submissions relayed by one account (a relayer's workload)."""
    relayer = ChainClient.connect(d.rpc_url, devnet_account(13 if burst else 12))
    registry = SubmissionRegistry(relayer, d.address("SubmissionRegistry"))
    cfg = DatasetConfig(relayer, d.address("DatasetConfig"))
    contributor = devnet_account(14)
    epoch = cfg.currentEpoch(DatasetId(1))
    bond = cfg.submissionBond(DatasetId(1))
    msgs = []
    for _ in range(n):
        m = SubmissionMessage(
            contributor=contributor.address,
            datasetId=1,
            cid="bafkrei" + secrets.token_hex(20),
            headerHash=secrets.token_bytes(32),
            contentCommitment=secrets.token_bytes(32),
            ritualId=int(d.extra["ritual_id"]),
            epoch=epoch,
            deadline=int(time.time()) + 3600,
        )
        msgs.append((m, sign(m, contributor, chain_id=d.chain_id, registry=registry.address)))
    fn = registry.contract.functions.submit
    t0 = time.perf_counter()
    if burst:
        pending = [relayer.send_nowait(fn(m.as_tuple(), s), value=bond) for m, s in msgs]
        for p in pending:
            relayer.wait(p)
    else:
        for m, s in msgs:
            registry.submit(m, s, bond)
    return n / (time.perf_counter() - t0)


def lifecycle_wall_time() -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
         "tests/integration/chain/test_lifecycle.py"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    found = re.search(r"lifecycle wall time: ([\d.]+)s", done.stdout)
    return f"{found.group(1)} s" if found else f"(test failed: rc={done.returncode})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txs", type=int, default=200)
    parser.add_argument("--submissions", type=int, default=100)
    args = parser.parse_args()

    anvil = AnvilProcess(accounts=20).start()
    try:
        ref = reference_transfers(anvil.url, args.txs)
        ours = ours_transfers(anvil.url, args.txs)
    finally:
        anvil.stop()

    with tempfile.TemporaryDirectory() as home:
        # The submit window is 20 blocks and every tx mines one: widen it for the run.
        submit_blocks = 4 * args.submissions + 50
        long_windows = {
            "SUBMIT_BLOCKS": str(submit_blocks),
            # the deploy script insists unbonding outlasts an epoch's windows
            "UNBONDING_BLOCKS": str(submit_blocks + 100),
        }
        t0 = time.perf_counter()
        status = devnet_up(DevnetOptions(home=Path(home), deploy_env=long_windows))
        up_s = time.perf_counter() - t0
        try:
            sub_ref = submissions(status.deployment, args.submissions, burst=False)
            sub_ours = submissions(status.deployment, args.submissions, burst=True)
        finally:
            devnet_down(Path(home))

    life = lifecycle_wall_time()
    rows = [
        ("`datadao devnet up` (11 contracts, 4 stakes, Ferveo ritual)", f"{up_s:.1f} s", "-", "-"),
        (
            f"ETH transfers, tx/s ({args.txs})",
            f"{ours:.0f}",
            f"{ref:.0f} (web3.py send+wait loop)",
            f"{ours / ref:.2f}x",
        ),
        (
            f"relayed EIP-712 submissions, tx/s ({args.submissions})",
            f"{sub_ours:.0f} (burst)",
            f"{sub_ref:.0f} (send+wait each)",
            f"{sub_ours / sub_ref:.2f}x",
        ),
        ("lifecycle test (submit, score, claim, govern, refund)", life, "-", "-"),
    ]
    print("| measure | ours | reference | ratio |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
