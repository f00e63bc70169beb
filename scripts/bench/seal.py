"""Benchmark DDF v1 sealing against age and Tink's streaming AEAD on one large file.

Each system encrypts the same file (page-cached first, so all read from memory) in its own
child process; the parent takes wall time around the child, and ``/usr/bin/time`` reports
that child's peak RSS. Python children also report the time spent inside the encryption call, which
excludes interpreter start-up and imports. Best and median of ``--repeat`` runs are printed as a
markdown table, with ratios against age. Run from the repository root::

    .venv/bin/python scripts/bench/seal.py                  # 1 GiB, 3 runs each
    .venv/bin/python scripts/bench/seal.py --size-gib 4 --repeat 1 --systems datadao

Needs ``age``/``age-keygen`` on PATH (Debian package ``age``) and ``tink`` in the venv; a
missing one is reported and skipped. Large files go to ``--dir`` (default /tmp) and are deleted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MiB = 1 << 20
GiB = 1 << 30


@dataclass
class Run:
    wall_s: float
    inner_s: float | None
    max_rss_mib: float
    cpu_s: float  # user + system, all threads: robust to a machine shared with other work


# ---------------------------------------------------------------- children (one system each)


def child_datadao_seal(src: str, dst: str, key_hex: str, threads: str = "auto") -> None:
    import secrets

    from web3 import Web3

    from node.protocol import crypto
    from node.protocol.crypto import DaoPublicKey, SealContext, seal
    from node.types import ContentCommitment, DatasetId, RitualId

    ctx = SealContext(
        chain_id=31337,
        registry=Web3.to_checksum_address("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
        dataset_id=DatasetId(1),
        contributor=Web3.to_checksum_address("0x" + "01" * 20),
        ritual_id=RitualId(1),
        content_commitment=ContentCommitment(b"\x02" * 32),
    )
    key = DaoPublicKey(bytes.fromhex(key_hex))
    t0 = time.perf_counter()
    with open(src, "rb", buffering=0) as fin, open(dst, "wb", buffering=0) as fout:
        if threads == "auto":  # the public recipe: one thread per CPU, at most 3
            seal(fin, key, ctx, out=fout)
        else:  # the private hook, to compare pipelining against one thread
            crypto._seal(
                fin,
                key,
                ctx,
                out=fout,
                length=None,
                segment_size=crypto.SEGMENT_SIZE,
                randbytes=secrets.token_bytes,
                threads=int(threads),
            )
    _report(time.perf_counter() - t0)


def child_datadao_open(src: str, ritual_json: str) -> None:
    from web3 import Web3

    from node.protocol.crypto import SealContext, open_with_dek, read_header
    from node.protocol.dkg_local import LocalRitual
    from node.types import ContentCommitment, DatasetId, RitualId

    ctx = SealContext(
        chain_id=31337,
        registry=Web3.to_checksum_address("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
        dataset_id=DatasetId(1),
        contributor=Web3.to_checksum_address("0x" + "01" * 20),
        ritual_id=RitualId(1),
        content_commitment=ContentCommitment(b"\x02" * 32),
    )
    ritual = LocalRitual.from_dict(json.loads(Path(ritual_json).read_text()))
    with open(src, "rb", buffering=0) as fin, open(os.devnull, "wb", buffering=0) as sink:
        header = read_header(fin)
        dek = ritual.decrypt(header)  # threshold decryption, excluded from the timing
        t0 = time.perf_counter()
        open_with_dek(header, fin, dek, ctx, out=sink)
    _report(time.perf_counter() - t0)


def child_tink_seal(src: str, dst: str) -> None:
    import tink
    from tink import streaming_aead

    streaming_aead.register()
    handle = tink.new_keyset_handle(streaming_aead.streaming_aead_key_templates.AES256_GCM_HKDF_1MB)
    primitive = handle.primitive(streaming_aead.StreamingAead)
    t0 = time.perf_counter()
    with (
        open(src, "rb") as fin,
        open(dst, "wb") as raw_out,
        primitive.new_encrypting_stream(raw_out, b"aad") as enc,
    ):
        while chunk := fin.read(MiB):
            enc.write(chunk)
    _report(time.perf_counter() - t0)


def _report(inner_s: float) -> None:
    # One line on stdout for the parent; nothing else is printed by children.
    print(json.dumps({"inner_s": inner_s}))


# ---------------------------------------------------------------- parent


def measure(cmd: list[str], logs: Path) -> Run:
    """Run one child; wall time around it, peak RSS of that child alone.

    The child is started through ``/usr/bin/time``: Linux seeds a process's ru_maxrss at exec
    with the RSS of the address space it replaces, so a child forked (or vforked) straight from
    this benchmark, which holds a ritual and buffers, would report our RSS, not its own.
    ``time`` is small, and it reports its child's peak (%M, KiB).
    """
    out_path, err_path, rss_path = logs / "child.out", logs / "child.err", logs / "child.rss"
    timed = ["/usr/bin/time", "-f", "%M %U %S", "-o", str(rss_path), *cmd]
    t0 = time.perf_counter()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        code = subprocess.run(timed, stdout=out, stderr=err, check=False).returncode
    wall = time.perf_counter() - t0
    if code != 0:
        raise RuntimeError(f"{cmd[:3]} failed: {err_path.read_text()[-2000:]}")
    inner = None
    for line in out_path.read_text().splitlines():
        if line.startswith("{"):
            inner = json.loads(line)["inner_s"]
    max_rss_kib, user, system = rss_path.read_text().split()[-3:]
    return Run(
        wall_s=wall,
        inner_s=inner,
        max_rss_mib=int(max_rss_kib) / 1024,
        cpu_s=float(user) + float(system),
    )


def make_input(path: Path, size: int) -> None:
    block = os.urandom(64 * MiB)
    with path.open("wb") as f:
        left = size
        while left:
            n = min(left, len(block))
            # Vary each block a little so no two MiB of the file are identical.
            f.write(hashlib.sha256(left.to_bytes(8, "big")).digest() + block[32:n])
            left -= n


def warm(path: Path) -> None:
    with path.open("rb", buffering=0) as f:
        buf = bytearray(8 * MiB)
        while f.readinto(buf):
            pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument(
        "--systems",
        default="datadao,datadao-open,datadao-1t,age,tink",
        help="comma-separated subset",
    )
    parser.add_argument(
        "--sink",
        choices=("file", "null"),
        default="file",
        help="write ciphertext to a file in --dir, or to /dev/null (CPU-bound comparison)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        kind, *rest = args.child
        children: dict[str, Callable[..., None]] = {
            "datadao": child_datadao_seal,
            "datadao-open": child_datadao_open,
            "tink": child_tink_seal,
        }
        children[kind](*rest)
        return 0

    size = int(args.size_gib * GiB)
    systems = args.systems.split(",")
    work = Path(tempfile.mkdtemp(prefix="ddf-bench-", dir=args.dir))
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    results: dict[str, list[Run]] = {}
    notes: list[str] = []
    try:
        src, dst = work / "plain", work / "sealed"
        sealed_out = Path(os.devnull) if args.sink == "null" else dst
        make_input(src, size)
        warm(src)

        from node.protocol.dkg_local import run_local_ritual

        ritual = run_local_ritual(shares=4, threshold=3, ritual_id=1)
        ritual_json = work / "ritual.json"
        ritual_json.write_text(json.dumps(ritual.to_dict()))

        commands: dict[str, list[str]] = {
            "datadao": [*me, "datadao", str(src), str(sealed_out), bytes(ritual.public_key).hex()],
            "datadao-1t": [
                *me,
                "datadao",
                str(src),
                str(sealed_out),
                bytes(ritual.public_key).hex(),
                "1",
            ],
            "datadao-open": [*me, "datadao-open", str(dst), str(ritual_json)],
            "tink": [*me, "tink", str(src), str(sealed_out)],
        }
        if shutil.which("age") and shutil.which("age-keygen"):
            identity = subprocess.run(
                ["age-keygen"], capture_output=True, text=True, check=True
            ).stdout
            recipient = next(
                line.split(": ", 1)[1]
                for line in identity.splitlines()
                if line.startswith("# public key:")
            )
            commands["age"] = ["age", "-r", recipient, "-o", str(sealed_out), str(src)]
        try:
            import tink  # noqa: F401
        except ImportError:
            commands.pop("tink")
            notes.append("tink is not installed in this venv: skipped")
        if "age" not in commands:
            notes.append("age/age-keygen not on PATH: skipped")

        # datadao-open needs the datadao output; run it right after each datadao seal.
        known = ("datadao", "datadao-open", "datadao-1t", "age", "tink")
        order = [s for s in known if s in systems]
        for _ in range(args.repeat):
            for system in order:
                if system not in commands:
                    continue
                if system == "datadao-open" and ("datadao" not in order or args.sink == "null"):
                    to_file = [*commands["datadao"]]
                    to_file[to_file.index(str(sealed_out))] = str(dst)
                    subprocess.run(to_file, check=True, capture_output=True)
                results.setdefault(system, []).append(measure(commands[system], work))
                if system != "datadao":
                    dst.unlink(missing_ok=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    notes.append(f"ciphertext written to {'/dev/null' if args.sink == 'null' else args.dir}")
    print(render(results, size, args.repeat, notes))
    return 0


def render(results: dict[str, list[Run]], size: int, repeat: int, notes: list[str]) -> str:
    load = os.getloadavg()
    lines = [
        f"file: {size / GiB:g} GiB, {repeat} run(s) each, best (median); "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} CPUs",
        "",
        "| system | process wall s | encrypt-call s | CPU s (user+sys) | GB/s (process) "
        "| GB/s (call) | peak RSS MiB | speed vs age (wall) | speed vs age (CPU) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    age_best = min(r.wall_s for r in results["age"]) if "age" in results else None
    age_cpu = min(r.cpu_s for r in results["age"]) if "age" in results else None
    for system, runs in results.items():
        walls = [r.wall_s for r in runs]
        inners = [r.inner_s for r in runs if r.inner_s is not None]
        rss = max(r.max_rss_mib for r in runs)
        best = min(walls)
        inner = f"{min(inners):.3f} ({statistics.median(inners):.3f})" if inners else "-"
        gbs_inner = f"{size / min(inners) / 1e9:.2f}" if inners else "-"
        cpus = [r.cpu_s for r in runs]
        ratio = f"{age_best / best:.2f}x" if age_best else "-"
        cpu_ratio = f"{age_cpu / min(cpus):.2f}x" if age_cpu else "-"
        lines.append(
            f"| {system} | {best:.3f} ({statistics.median(walls):.3f}) | {inner} "
            f"| {min(cpus):.2f} ({statistics.median(cpus):.2f}) "
            f"| {size / best / 1e9:.2f} | {gbs_inner} | {rss:.1f} | {ratio} | {cpu_ratio} |"
        )
    lines += [f"- {n}" for n in notes]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
