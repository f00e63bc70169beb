"""The demo scenario: a whole Data DAO on this machine, one epoch end to end, in a few minutes.

With no setup it starts a fresh devnet (anvil on a free port, every contract, 4 staked validators
with a real Ferveo key ritual, a sealed secret validation set) in its own data dir, starts each
validator's share service and scoring daemon as child processes, and then:

1. six contributors run the real contribute pipeline on synthetic exports: three honest
   (ChatGPT, Reddit, X), a copier, a noise export and one that submits the validation set;
2. the demo mines blocks to move the epoch along and waits for the validator daemons to
   commit and reveal their scores; the epoch is finalized (permissionless);
3. contributors claim their tokens; honest data is paid ``floor(E * s / Σs)``, the three attacks
   nothing;
4. two renters ask for access with a fee; token holders grant one through the Governor and
   timelock and vote the other down (refunded);
5. the granted renter decrypts the dataset with threshold shares from the validators' share
   services, and every file is compared byte for byte with its contributor's canonical export.

Every outcome is checked (exit code 1 and a message otherwise), printed as a summary table and
written to ``<home>/demo/summary.json``. All processes it started are stopped at the end, on
error, on Ctrl-C and on SIGTERM; the data dir stays for inspection.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from node.chain.anvil import devnet_account
from node.chain.deployment import Deployment
from node.demo.data import make_exports
from node.demo.procs import DemoInterrupted, Supervisor, signals_raise
from node.demo.proofs import check_proofs
from node.demo.stages import (
    ContributorOutcome,
    DemoNet,
    GovernanceOutcome,
    RenterOutcome,
    ScoringOutcome,
    check_rewards,
    claim_rewards,
    contribute_all,
    fetch_and_verify,
    govern_access,
    score_epoch,
    start_devnet,
    start_validators,
    wait_for_shares,
)
from node.errors import ConfigError, DataDaoError
from node.settings import default_home

__all__ = ["SUMMARY_FORMAT", "run_demo"]

SUMMARY_FORMAT = "datadao.demo-summary/1"


class _Stages:
    """Prints each stage with its duration, and keeps the timings for the summary."""

    def __init__(self, out: Console) -> None:
        self.out = out
        self.seconds: dict[str, float] = {}
        self.current = ""
        self._t0 = time.monotonic()

    @contextmanager
    def stage(self, number: int, title: str) -> Iterator[Callable[[str], None]]:
        self.out.rule(f"[bold]{number}. {title}", align="left")
        self.current = title
        t0 = time.monotonic()
        yield lambda msg: self.out.print(f"  [cyan]•[/] {msg}")
        took = time.monotonic() - t0
        self.seconds[title] = took
        self.out.print(f"  [green]✓[/] {title} in {took:.1f}s")

    @property
    def total(self) -> float:
        return time.monotonic() - self._t0


def _default_home() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return default_home() / "demo" / stamp


def _check_home(home: Path) -> None:
    if (home / "devnet" / "deployment.json").exists():
        raise ConfigError(
            f"{home} already holds a devnet; the demo needs a fresh data dir (omit --home to get "
            "a new one)"
        )


def _tokens(wei: int) -> str:
    return f"{wei / 10**18:,.4f}"


def _table(
    contributors: list[ContributorOutcome],
    scoring: ScoringOutcome,
    gov: GovernanceOutcome,
    renter: RenterOutcome,
) -> list[Table]:
    people = Table(title=f"epoch {scoring.epoch}: contributors", title_justify="left")
    for col in ("who", "kind", "platform", "records", "share", "flags", "tokens", "bond"):
        people.add_column(col)
    for o in contributors:
        style = "green" if o.reward else "dim"
        bond = "returned" if o.bond_back else ("forfeited" if o.bond_forfeited else "")
        people.add_row(
            o.name,
            o.kind,
            o.platform,
            str(o.records),
            f"{o.units / 10**9:.4%}",
            o.flags or ("" if o.units else "value ≤ 0"),
            f"[{style}]{_tokens(o.claimed)}[/]",
            bond,
        )
    validators = Table(title="validators", title_justify="left")
    for col in ("validator", "revealed score root", "agreement EMA (bps)"):
        validators.add_column(col)
    for v in scoring.committee:
        root = scoring.revealed_roots.get(v, "-")
        validators.add_row(v, root[:18] + "…", str(scoring.agreement_bps.get(v, "")))
    access = Table(title="access", title_justify="left", show_header=False)
    access.add_column("what", style="bold")
    access.add_column("value")
    for name, p in gov.proposals.items():
        access.add_row(
            name,
            f"{p['state']} (for {_tokens(int(p['for']))}, against {_tokens(int(p['against']))})",
        )
    access.add_row("refunded", f"{gov.refund_wei / 10**18:g} ETH to the denied renter")
    access.add_row(
        "decrypted",
        f"{renter.verified} of {renter.files} files in scope, verified byte for byte "
        "(copies whose header names another contributor are skipped)",
    )
    access.add_row("renter output", str(renter.out_dir))
    for ext, path in sorted(scoring.labels.items()):
        access.add_row(f"nutrition label ({ext})", path)
    return [people, validators, access]


def run_demo(
    home: Path | None, *, seed: int, timeout_s: float, keep_running: bool, out: Console
) -> None:
    """Run a whole Data DAO locally: contribute, score, reward, govern access, decrypt.

    Raises:
        DataDaoError: a stage failed (the summary records which); every child is stopped.
    """
    home = (home or _default_home()).expanduser().resolve()
    _check_home(home)
    demo_dir = home / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    out.print(f"[bold]datadao demo[/] — data dir [bold]{home}[/] (seed {seed})")
    stages = _Stages(out)
    with signals_raise(), Supervisor() as sup:
        try:
            try:
                summary = _run(home, demo_dir, seed, timeout_s, sup, stages, out)
            except DataDaoError as err:
                failed = {"ok": False, "stage": stages.current, "error": str(err)}
                _write_summary(demo_dir, {"format": SUMMARY_FORMAT, "home": str(home), **failed})
                out.print(f"[bold red]demo failed[/] in stage '{stages.current}'; data dir {home}")
                raise
            out.print(
                f"[bold green]demo passed[/] in {stages.total:.1f}s; "
                f"summary: {demo_dir}/summary.json"
            )
            if keep_running:
                _hold(sup, out, summary, home)
        finally:
            problems = sup.close()
            for p in problems:
                out.print(f"[yellow]cleanup:[/] {p}")


def start_web_app(home: Path, contributor: str, account_index: int) -> str:
    """Serve the node's web app (``datadao ui``) for one demo contributor, on a free loopback
    port in a daemon thread, over that contributor's own node database; returns its URL (with
    this run's token), so a newcomer can click through the finished demo."""
    from node.chain.anvil import free_port
    from node.services.node import UiNode
    from node.settings import NodeSettings
    from node.ui.app import UiConfig
    from node.ui.server import start_in_thread

    db = home / "demo" / "contributors" / contributor / "node.db"
    settings = NodeSettings(home=home, database_url=f"sqlite:///{db}")
    return start_in_thread(UiNode(settings, account_index), UiConfig(port=free_port())).url


def _hold(sup: Supervisor, out: Console, summary: dict[str, Any], home: Path) -> None:
    """``--keep-running``: serve until Ctrl-C (a normal end, exit 0) or a child dies (an error)."""
    first = summary["contributors"][0]
    index = next(
        int(c["account_index"])
        for c in Deployment.load(home / "devnet" / "deployment.json").extra["contributors"]
        if str(c["address"]).lower() == str(first["address"]).lower()
    )
    url = start_web_app(home, str(first["name"]), index)
    out.print(
        f"[bold]--keep-running:[/] devnet at {summary['rpc_url']}; try "
        f"`DATADAO_HOME={home} datadao gov proposals`; Ctrl-C stops everything"
    )
    out.print(f"[bold]web app[/] (as {first['name']}): {url}")
    try:
        while True:
            sup.check()
            time.sleep(1)
    except (DemoInterrupted, KeyboardInterrupt):
        out.print("stopping the devnet and the validators")


def _run(
    home: Path,
    demo_dir: Path,
    seed: int,
    timeout_s: float,
    sup: Supervisor,
    stages: _Stages,
    out: Console,
) -> dict[str, Any]:
    with stages.stage(1, "devnet") as say:
        net: DemoNet = start_devnet(home, sup, say)
    with stages.stage(2, "validators") as say:
        services = start_validators(net, sup, demo_dir / "logs", say)
    with stages.stage(3, "contributions") as say:
        exports = make_exports(
            demo_dir / "exports",
            seed=seed,
            validation_plaintext=home / "devnet" / "validation-set.jsonl",
            first_account=int(net.deployment.extra["contributors"][0]["account_index"]),
        )
        say(f"wrote {len(exports)} synthetic exports to {demo_dir / 'exports'}")
        mallory = devnet_account(int(net.deployment.extra["contributors"][-1]["account_index"]))
        epoch, contributors = contribute_all(
            net, exports, demo_dir / "contributors", say, front_runner=mallory
        )
    with stages.stage(4, "scoring") as say:
        wait_for_shares(services, sup, say)
        scoring = score_epoch(
            net, epoch, contributors, sup=sup, services=services, report=say, timeout_s=timeout_s
        )
        check_rewards(contributors, scoring)
        proof_check = check_proofs(
            home, scoring.committee, int(epoch), int(net.dataset), exports, contributors
        )
        say(
            f"ownership proofs: {proof_check.policy}; "
            + ", ".join(
                f"{r.name} {r.method or 'unproven'} {r.score_bps}/{r.value_bps} bps"
                for r in proof_check.rows
            )
        )
        busy = scoring.daemon_seconds
        if busy:
            say(
                "per daemon: decryption {decrypt:.1f}s, valuation {value:.1f}s, "
                "chain calls and journal {chain:.1f}s".format(**busy)
            )
    with stages.stage(5, "rewards") as say:
        minted, forfeited = claim_rewards(net, epoch, contributors)
        say(
            f"{sum(1 for o in contributors if o.claimed)} contributors claimed "
            f"{_tokens(minted)} tokens with Merkle proofs and got their bonds back; "
            f"{sum(1 for o in contributors if o.bond_forfeited)} files valued 0 forfeited "
            f"{forfeited / 10**18:g} ETH of bonds to the treasury"
        )
    holders = [o for o in contributors if o.claimed > 0]
    with stages.stage(6, "governance") as say:
        gov = govern_access(net, epoch, holders, say)
    with stages.stage(7, "renter") as say:
        renter = fetch_and_verify(net, gov, contributors, demo_dir / "renter", say)
    for table in _table(contributors, scoring, gov, renter):
        out.print(table)
    summary: dict[str, Any] = {
        "format": SUMMARY_FORMAT,
        "ok": True,
        "home": str(home),
        "seed": seed,
        "rpc_url": net.deployment.rpc_url,
        "epoch": int(epoch),
        "contributors": [o.as_json() for o in contributors],
        "scoring": scoring.as_json(),
        "proofs": proof_check.as_json(),
        "minted": str(minted),
        "forfeited_wei": str(forfeited),
        "governance": gov.as_json(),
        "renter": renter.as_json(),
        "logs": str(demo_dir / "logs"),
        "seconds": {k: round(v, 2) for k, v in stages.seconds.items()},
        "total_seconds": round(stages.total, 2),
    }
    _write_summary(demo_dir, summary)
    return summary


def _write_summary(demo_dir: Path, summary: dict[str, Any]) -> None:
    """``<home>/demo/summary.json``, replaced atomically (a reader never sees half a file)."""
    path = demo_dir / "summary.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
