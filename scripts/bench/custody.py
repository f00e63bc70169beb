"""Key custody benchmark: ritual wall time, share-service latency and throughput, renter fetch.

Everything is real and on loopback: anvil + the deployed contracts (``datadao devnet``), Ferveo
rituals run by the validators' watchers (``validator/ritual.py``, one thread each), the share
services as separate processes (``python -m validator.shares``, one per validator), and the
renter's ``Renter.fetch`` gathering t-of-n shares over HTTP.

    python scripts/bench/custody.py                       # full run (~10 min on 2 busy cores)
    python scripts/bench/custody.py --files 20 --reps 1   # quick
    python scripts/bench/custody.py --files 64 --size-mib 0.01 --reps 1 --batch 64 \
        --concurrency 1,16 --no-fetch                     # single vs batched shares/s
    python scripts/bench/custody.py --files 128 --size-mib 0.01 --requests 16 \
        --concurrency 1 --no-fetch --open-compare         # files/s opened: per file vs batched

Results go to stdout as markdown and to ``--json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from eth_account.signers.local import LocalAccount
from web3 import Web3

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from node.chain.anvil import devnet_account  # noqa: E402
from node.chain.client import ChainClient  # noqa: E402
from node.chain.contracts import Contracts  # noqa: E402
from node.chain.dkg import DKGCoordinator  # noqa: E402
from node.chain.eip712 import (  # noqa: E402
    MAX_BATCH_FILES,
    DecryptionBatch,
    DecryptionRequest,
    Purpose,
    file_ids_hash,
    sign,
)
from node.chain.escrow import RentalEscrow  # noqa: E402
from node.chain.registry import SubmissionRecord  # noqa: E402
from node.custody.files import committee_peers, decrypt_file, decrypt_files  # noqa: E402
from node.custody.gather import BatchAsk, GatherPolicy, ShareAsk, ShareClient  # noqa: E402
from node.custody.renter import Renter  # noqa: E402
from node.custody.session import SessionKey  # noqa: E402
from node.custody.wire import (  # noqa: E402
    BATCH_PATH,
    SHARES_PATH,
    BatchRequestBody,
    BatchResponseBody,
    ShareRequestBody,
    WireBatch,
    WireRequest,
)
from node.devnet.bootstrap import validator_passphrase  # noqa: E402
from node.devnet.manager import DevnetOptions, devnet_down, devnet_up  # noqa: E402
from node.protocol.keystore import load_secret  # noqa: E402
from node.storage.local import LocalBlockstore  # noqa: E402
from node.types import DatasetId  # noqa: E402
from tests.integration.conftest import Devnet  # noqa: E402
from tests.integration.helpers import (  # noqa: E402
    chain_now,
    close_and_fix_seed,
    grant_through_governance,
    initiate_ritual_as_timelock,
    open_fresh_epoch,
    score_and_reward,
    seal_and_submit,
)
from validator.dkg_watcher import FERVEO_KIND, RitualWatcher  # noqa: E402


def check(ok: bool, what: object = "benchmark invariant failed") -> None:
    """Fail the run loudly (a benchmark that measured the wrong thing is worse than none)."""
    if not ok:
        raise SystemExit(f"check failed: {what}")


def jsonl_mib(size: int, tag: str) -> bytes:
    """Exactly ``size`` bytes of JSONL (~200-byte records, padded by the last one)."""
    out = bytearray()
    i = 0
    while len(out) < size - 512:
        rec = {"id": f"{tag}-{i}", "text": secrets.token_hex(80)}
        out += json.dumps(rec, sort_keys=True, separators=(",", ":")).encode() + b"\n"
        i += 1
    out += b'{"pad":"' + b"x" * (size - len(out) - 11) + b'"}\n'
    check(len(out) == size)
    return bytes(out)


def run_ritual(devnet: Devnet, size: int, threshold: int) -> float:
    """Initiate a ritual (as the timelock) and let ``size`` watchers complete it; wall seconds."""
    members = devnet.validators
    watchers = []
    for v in members:
        info = next(x for x in devnet.deployment.extra["validators"] if x["address"] == v.address)
        seed = load_secret(
            Path(info["key_dir"]) / "ferveo.json",
            passphrase=validator_passphrase(),
            kind=FERVEO_KIND,
        )
        watchers.append(
            RitualWatcher(
                devnet.client(v),
                devnet.address("DKGCoordinator"),
                key_dir=Path(info["key_dir"]),
                seed=seed,
                poll_s=0.05,
            )
        )
    t0 = time.perf_counter()
    ritual_id, block = initiate_ritual_as_timelock(
        devnet, size=size, threshold=threshold, timeout_s=3600
    )
    dkg = DKGCoordinator(devnet.chain, devnet.address("DKGCoordinator"))
    committee = {a.lower() for a in dkg.getParticipants(ritual_id)}
    mine = [w for w in watchers if w.me.lower() in committee]
    with ThreadPoolExecutor(len(mine)) as pool:
        outcomes = list(
            pool.map(lambda w: w.participate(ritual_id, initiated_at=block, max_wait_s=600), mine)
        )
    elapsed = time.perf_counter() - t0
    states = {o.state.name for o in outcomes}
    check(states == {"ACTIVE"}, states)
    return elapsed


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def batch_load(
    target: str,
    devnet: Devnet,
    renter_acct: LocalAccount,
    req: int,
    session: SessionKey,
    file_ids: list[bytes],
    *,
    batch: int,
    shares: int,
    conc: int,
) -> dict[str, float]:
    """``shares`` shares asked for in signed batches of ``batch`` files, ``conc`` at a time.

    Latency percentiles are per batch; ``shares_per_s`` counts served files (every one must be
    served: the run fails on any per-file refusal).
    """
    registry = devnet.deployment.address("SubmissionRegistry")
    now = chain_now(devnet)
    bodies = []
    for k in range(max(1, shares // batch)):
        ids = [file_ids[(k * batch + j) % len(file_ids)] for j in range(batch)]
        m = DecryptionBatch(
            purpose=int(Purpose.ACCESS),
            reqId=req,
            datasetId=1,
            epoch=0,
            fileIdsHash=file_ids_hash(ids),
            requesterKey=session.public_bytes,
            deadline=now + 1800,
            nonce=secrets.randbits(200),
        )
        sig = sign(m, renter_acct, chain_id=devnet.chain.chain_id, registry=registry)
        bodies.append(
            BatchRequestBody(request=WireBatch.from_message(m, ids), signature="0x" + sig.hex())
            .model_dump_json()
            .encode()
        )
    client = httpx.Client(
        trust_env=False, timeout=120, limits=httpx.Limits(max_connections=conc * 2)
    )
    lat: list[float] = []
    served = [0]
    lock = threading.Lock()

    def one(body: bytes) -> None:
        s = time.perf_counter()
        r = client.post(target + BATCH_PATH, content=body)
        elapsed = time.perf_counter() - s
        check(r.status_code == 200, r.text)
        results = BatchResponseBody.model_validate_json(r.content).results
        check(all(x.error is None for x in results), [x.error for x in results])
        with lock:
            lat.append(elapsed)
            served[0] += len(results)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(conc) as pool:
        list(pool.map(one, bodies))
    wall = time.perf_counter() - t0
    client.close()
    return {
        "batches": len(bodies),
        "shares": served[0],
        "shares_per_s": served[0] / wall,
        "batch_p50_ms": 1000 * statistics.median(lat),
        "batch_p99_ms": 1000 * percentile(lat, 99),
    }


def open_compare(
    devnet: Devnet, store: LocalBlockstore, acct: LocalAccount, session: SessionKey, req: int
) -> dict[str, float]:
    """Files/s opened into memory (storage + header check + t-of-n shares + decryption), the
    grant's files one request per file per validator (4 files at a time) and then in batches of
    64 (4 batches at a time), through the same ShareClient as the daemon's opener. The purpose
    is ACCESS (the renter's grant) rather than SCORING; the service work per file is the same."""
    chain = devnet.client(acct)
    contracts = Contracts.of(chain, devnet.deployment)
    renter = Renter(chain=chain, contracts=contracts, store=store)
    records = renter.files_in_scope(req)
    peers, threshold = committee_peers(contracts.dkg, contracts.staking, records[0].ritual_id)
    registry = contracts.registry.address
    out: dict[str, float] = {}
    with ShareClient(
        chain_id=chain.chain_id,
        registry=registry,
        signer=acct,
        session=session,
        now=renter.chain_now,
        policy=GatherPolicy(timeout_s=60),
    ) as client:

        def single(r: SubmissionRecord) -> None:
            sink = io.BytesIO()
            decrypt_file(
                store=store,
                file=r,
                chain_id=chain.chain_id,
                registry=registry,
                client=client,
                ask=ShareAsk(Purpose.ACCESS, 1, r.file_id, req_id=req),
                peers=peers,
                threshold=threshold,
                open_sink=lambda: sink,
            )

        def batch(chunk: list[SubmissionRecord]) -> None:
            got = decrypt_files(
                store=store,
                files=chunk,
                chain_id=chain.chain_id,
                registry=registry,
                client=client,
                ask=BatchAsk(Purpose.ACCESS, 1, (), req_id=req),
                peers=peers,
                threshold=threshold,
                open_sink=lambda f: io.BytesIO(),
            )
            check(all(isinstance(v, tuple) for v in got.values()), f"batch failed: {got}")

        t0 = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(single, records))
        out["per_file"] = len(records) / (time.perf_counter() - t0)
        chunks = [list(records[i : i + 64]) for i in range(0, len(records), 64)]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(batch, chunks))
        out["batched_64"] = len(records) / (time.perf_counter() - t0)
    out["ratio"] = out["batched_64"] / out["per_file"]
    out["files"] = len(records)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--size-mib", type=float, default=1.0)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--concurrency", default="1,4,16")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument(
        "--batch",
        type=int,
        default=0,
        help="also load the service with signed batches of N files (N <= --files, <= 256)",
    )
    ap.add_argument("--no-fetch", action="store_true", help="skip the renter fetch (step 5)")
    ap.add_argument(
        "--open-compare",
        action="store_true",
        help="step 6: files/s opened into memory one request per file (decrypt_file, 4 threads:"
        " the daemon's old path) vs batched chunks of 64 (decrypt_files, 4 chunks at once:"
        " the daemon's path since #19), same files, same run",
    )
    args = ap.parse_args()
    check(args.batch <= min(args.files, MAX_BATCH_FILES), "--batch must be <= --files and <= 256")

    results: dict[str, object] = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    home = Path(tempfile.mkdtemp(prefix="bench-custody-"))
    procs: list[subprocess.Popen[bytes]] = []
    print(f"# custody benchmark (home {home})", flush=True)
    t0 = time.perf_counter()
    status = devnet_up(
        DevnetOptions(
            home=home,
            validators=7,
            threshold=5,
            contributors=6,
            deploy_env={
                "SUBMIT_BLOCKS": "600",
                "COMMIT_BLOCKS": "10",
                "REVEAL_BLOCKS": "10",
                "UNBONDING_BLOCKS": "5000",
            },
        )
    )
    print(f"devnet up (7 validators) in {time.perf_counter() - t0:.1f}s", flush=True)
    d = status.deployment
    devnet = Devnet(
        home=home,
        deployment=d,
        chain=ChainClient.connect(d.rpc_url, devnet_account(0)),
        deployer=devnet_account(0),
        validators=[devnet_account(v["account_index"]) for v in d.extra["validators"]],
        contributors=[devnet_account(c["account_index"]) for c in d.extra["contributors"]],
        spare=[devnet_account(15 + i) for i in range(4)],
    )
    try:
        # ---------------------------------------------------------------- 1. rituals
        rituals: dict[str, list[float]] = {}
        for size, threshold in [(7, 5), (4, 3)]:
            for _ in range(args.reps):
                wall = run_ritual(devnet, size, threshold)
                rituals.setdefault(f"n={size},t={threshold}", []).append(wall)
                print(f"ritual n={size} t={threshold}: {wall:.2f}s", flush=True)
        results["ritual_wall_s"] = rituals
        # the last ritual (n=4, t=3) is now the active one: files are sealed to it
        dkg = DKGCoordinator(devnet.chain, devnet.address("DKGCoordinator"))
        active = dkg.activeRitualId()
        extra = dict(d.extra)
        extra["ritual_id"] = int(active)
        extra["dkg_public_key"] = dkg.getPublicKey(active).hex()
        devnet.deployment = d = dataclasses.replace(d, extra=extra)
        committee = dkg.getParticipants(active)

        # ---------------------------------------------------------------- 2. data + grant
        store = LocalBlockstore(home / "blocks", fsync=False)
        size = int(args.size_mib * 2**20)
        epoch = open_fresh_epoch(devnet)
        t1 = time.perf_counter()
        files = []
        for i in range(args.files):
            who = devnet.contributors[i % len(devnet.contributors)]
            files.append(seal_and_submit(devnet, store, who, epoch, jsonl_mib(size, f"f{i}")))
        print(
            f"sealed+stored+submitted {args.files} x {args.size_mib} MiB in "
            f"{time.perf_counter() - t1:.1f}s",
            flush=True,
        )
        close_and_fix_seed(devnet, epoch)
        score_and_reward(devnet, epoch)
        renter_acct = devnet.spare[0]
        session = SessionKey.generate()
        req = RentalEscrow(devnet.client(renter_acct), d.address("RentalEscrow")).requestAccess(
            DatasetId(1),
            session.public_bytes,
            epoch,
            epoch,
            chain_now(devnet) + 86400 * 30,
            Web3.to_wei(0.1, "ether"),
        )
        holders = list({f.contributor.address: f.contributor for f in files}.values())
        grant_through_governance(devnet, req, holders)
        devnet.time.mine(3)
        # keep mining one block a second so `latest - confirmations` follows (as on a real chain)
        stop_mining = threading.Event()

        def miner() -> None:
            while not stop_mining.wait(1.0):
                devnet.time.mine(1)

        threading.Thread(target=miner, daemon=True).start()

        # ---------------------------------------------------------------- 3. share services
        env = {**os.environ, "DATADAO_VALIDATOR_PASSPHRASE": validator_passphrase()}
        urls = {}
        for v in d.extra["validators"]:
            if v["address"] not in committee:
                continue
            port = int(v["share_url"].rsplit(":", 1)[1])
            urls[v["address"]] = v["share_url"]
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "validator.shares",
                        "--home",
                        str(home),
                        "--validator",
                        v["address"],
                        "--port",
                        str(port),
                        "--confirmations",
                        "1",
                        "--rate",
                        "100000",
                        "--quiet",
                    ],
                    cwd=ROOT,
                    env=env,
                )
            )
        for url in urls.values():
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(url + "/v1/health", trust_env=False, timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                check(time.monotonic() < deadline, f"{url} did not start")
                time.sleep(0.2)
        print(f"{len(urls)} share services up", flush=True)

        # ---------------------------------------------------------------- 4. load run
        target = next(iter(urls.values()))
        registry = d.address("SubmissionRegistry")
        load: dict[str, dict[str, float]] = {}
        for conc in [int(c) for c in args.concurrency.split(",")]:
            now = chain_now(devnet)
            bodies = []
            for k in range(args.requests):
                f = files[k % len(files)]
                m = DecryptionRequest(
                    purpose=int(Purpose.ACCESS),
                    reqId=req,
                    datasetId=1,
                    epoch=0,
                    fileId=f.file_id,
                    requesterKey=session.public_bytes,
                    deadline=now + 1800,
                    nonce=secrets.randbits(200),
                )
                sig = sign(m, renter_acct, chain_id=devnet.chain.chain_id, registry=registry)
                bodies.append(
                    ShareRequestBody(
                        request=WireRequest.from_message(m), signature="0x" + sig.hex()
                    )
                    .model_dump_json()
                    .encode()
                )
            client = httpx.Client(
                trust_env=False, timeout=30, limits=httpx.Limits(max_connections=conc * 2)
            )
            lat: list[float] = []

            def one(body: bytes, client: httpx.Client = client, lat: list[float] = lat) -> None:
                s = time.perf_counter()
                r = client.post(target + SHARES_PATH, content=body)
                lat.append(time.perf_counter() - s)
                check(r.status_code == 200, r.text)

            t2 = time.perf_counter()
            with ThreadPoolExecutor(conc) as pool:
                list(pool.map(one, bodies))
            wall = time.perf_counter() - t2
            client.close()
            load[f"c={conc}"] = {
                "requests": args.requests,
                "shares_per_s": args.requests / wall,
                "p50_ms": 1000 * statistics.median(lat),
                "p95_ms": 1000 * percentile(lat, 95),
                "p99_ms": 1000 * percentile(lat, 99),
            }
            print(f"load c={conc}: {load[f'c={conc}']}", flush=True)
            if args.batch:
                key = f"batch={args.batch},c={conc}"
                load[key] = batch_load(
                    target,
                    devnet,
                    renter_acct,
                    req,
                    session,
                    [f.file_id for f in files],
                    batch=args.batch,
                    shares=args.requests,
                    conc=conc,
                )
                print(f"load {key}: {load[key]}", flush=True)
        results["share_service"] = load

        # ---------------------------------------------------------------- 5. renter fetch
        if not args.no_fetch:
            renter = Renter(
                chain=devnet.client(renter_acct),
                contracts=Contracts.of(devnet.client(renter_acct), d),
                store=store,
                policy=GatherPolicy(timeout_s=30),
                parallel_files=4,
            )
            fetches = []
            for rep in range(args.reps):
                out = home / f"fetch-{rep}"
                report = renter.fetch(req, out, session=session)
                check(report.fetched == args.files)
                for f in files:
                    got = (out / "files" / f"{f.file_id.hex()}.jsonl").read_bytes()
                    check(hashlib.sha256(got).digest() == hashlib.sha256(f.plaintext).digest())
                fetches.append(report.seconds)
                rate = report.bytes_written / 2**20 / report.seconds
                print(
                    f"renter fetch {args.files} x {args.size_mib} MiB: {report.seconds:.2f}s "
                    f"({rate:.1f} MiB/s), bad={report.bad}",
                    flush=True,
                )
            t3 = time.perf_counter()
            resumed = renter.fetch(req, home / "fetch-0", session=session)
            results["renter_fetch_s"] = fetches
            results["renter_resume_s"] = time.perf_counter() - t3
            check(resumed.skipped == args.files)
        # ---------------------------------------------------------------- 6. open: file vs batch
        if args.open_compare:
            results["open_files_per_s"] = open_compare(devnet, store, renter_acct, session, req)
            print(f"open files/s: {results['open_files_per_s']}", flush=True)
        results["files"] = args.files
        results["size_mib"] = args.size_mib
        stop_mining.set()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
        devnet_down(home, wipe=False)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
