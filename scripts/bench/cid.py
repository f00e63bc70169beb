"""Benchmark: ``datadao cid`` vs Debian's ``ipfs_cid`` (package ``ipfs-cid``) on a 1 GiB file.

Run from the repository root::

    .venv/bin/python scripts/bench/cid.py [--size-mib 1024] [--runs 3] [--dir /tmp/datadao-bench]

It writes a deterministic input (ChaCha20 keystream, key = sha256("datadao-bench")), warms the
page cache, then runs each tool ``--runs`` times, alternating, each as a child process whose wall
time and peak RSS are taken from ``os.wait4`` (the child's own rusage). ``ipfs_cid`` computes
Kubo's default layout (CIDv0, no raw leaves, 256 KiB, 174 links), so ``datadao cid`` is run with
``--cid-version 0`` for the head-to-head and both CIDs must agree; the project layout (CIDv1, raw
leaves) is timed too. A 64 MiB run of ``datadao cid`` shows whether memory is flat in file size.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

MIB = 1 << 20


@dataclass
class Run:
    wall_s: float
    max_rss_kib: int
    stdout: str


def make_input(path: Path, size: int) -> None:
    if path.exists() and path.stat().st_size == size:
        return
    key = hashlib.sha256(b"datadao-bench").digest()
    enc = Cipher(algorithms.ChaCha20(key, bytes(16)), mode=None).encryptor()
    zeros = bytes(4 * MIB)
    with open(path, "wb") as fh:
        left = size
        while left:
            n = min(left, len(zeros))
            fh.write(enc.update(zeros[:n]))
            left -= n


def warm(path: Path) -> None:
    with open(path, "rb", buffering=0) as fh:
        while fh.read(8 * MIB):
            pass


def run(cmd: list[str]) -> Run:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read() if proc.stdout is not None else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed with exit code {proc.returncode}")
    return Run(wall, usage.ru_maxrss, out.decode().strip())


def summarize(name: str, runs: list[Run], size: int) -> tuple[float, int]:
    wall = statistics.median(r.wall_s for r in runs)
    rss = max(r.max_rss_kib for r in runs)
    walls = ", ".join(f"{r.wall_s:.2f}" for r in runs)
    print(
        f"{name:<34} median {wall:6.2f} s  {size / MIB / wall:8.1f} MiB/s  "
        f"peak RSS {rss / 1024:6.1f} MiB   (runs: {walls})"
    )
    return wall, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "datadao-bench")
    args = parser.parse_args()

    datadao = Path(sys.executable).parent / "datadao"
    ipfs_cid = shutil.which("ipfs_cid")
    if ipfs_cid is None:
        raise SystemExit("ipfs_cid not found: apt-get update && apt-get install -y ipfs-cid")
    args.dir.mkdir(parents=True, exist_ok=True)
    size = args.size_mib * MIB
    big = args.dir / f"input-{args.size_mib}mib.bin"
    small = args.dir / "input-64mib.bin"
    make_input(big, size)
    make_input(small, 64 * MIB)
    warm(big)

    print(f"input: {big} ({args.size_mib} MiB), {args.runs} runs each, cpus={os.cpu_count()}")
    ours_v0: list[Run] = []
    theirs: list[Run] = []
    ours_v1: list[Run] = []
    for _ in range(args.runs):  # alternate so drifting machine load hits both tools alike
        theirs.append(run([ipfs_cid, str(big)]))
        ours_v0.append(run([str(datadao), "cid", "--cid-version", "0", str(big)]))
        ours_v1.append(run([str(datadao), "cid", str(big)]))
    small_run = run([str(datadao), "cid", "--cid-version", "0", str(small)])

    their_cid = theirs[0].stdout.split('"CIDv0":"', 1)[1].split('"', 1)[0]
    our_cid = ours_v0[0].stdout
    print(f"ipfs_cid CIDv0:      {their_cid}")
    print(f"datadao cid (v0):    {our_cid}")
    print(f"datadao cid (v1):    {ours_v1[0].stdout}")
    print(f"same CIDv0: {their_cid == our_cid}")
    t_wall, _ = summarize("ipfs_cid (Debian ipfs-cid)", theirs, size)
    o_wall, o_rss = summarize("datadao cid --cid-version 0", ours_v0, size)
    summarize("datadao cid (v1, raw leaves)", ours_v1, size)
    print(
        f"datadao cid on 64 MiB: peak RSS {small_run.max_rss_kib / 1024:.1f} MiB "
        f"(vs {o_rss / 1024:.1f} MiB on {args.size_mib} MiB: memory is flat in file size)"
    )
    print(f"speed ratio datadao/ipfs_cid: {t_wall / o_wall:.2f}x")
    if their_cid != our_cid:
        raise SystemExit("CID mismatch between the two tools")


if __name__ == "__main__":
    main()
