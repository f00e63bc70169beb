"""``datadao value``: value a folder of contributor files and write the nutrition label.

Example::

    datadao value --spec spec.json --data contributors/ --validation val.jsonl \\
        --seed 0x<64 hex digits> --out label/ [--pool pool.jsonl] [--device cuda] \\
        [--compute ray://head:10001]

Loaded by the root CLI through the ``datadao.commands`` entry point; errors are ValuationError
subclasses, which the root group turns into one line and the valuation exit code (8; see
``node/cli/exit_codes.py``). Loading this module imports only click and the light spec and error
modules: ``datadao --help`` lists this command, and torch (seconds to import) is imported only
when a valuation runs.
"""

from __future__ import annotations

from pathlib import Path

import click

from validator.valuation.cli_options import compute_option, threads_option
from validator.valuation.errors import DataFormatError, SpecError
from validator.valuation.spec import ValuationSpec

__all__ = ["value"]


def _seed(raw: str) -> bytes:
    from validator.valuation.masks import SEED_BYTES  # numpy: only once a valuation runs

    try:
        seed = bytes.fromhex(raw.removeprefix("0x"))
    except ValueError as err:
        raise SpecError("--seed must be hex") from err
    if len(seed) != SEED_BYTES:
        raise SpecError(f"--seed must be {SEED_BYTES} bytes ({2 * SEED_BYTES} hex digits)")
    return seed


def _spec(path: Path) -> ValuationSpec:
    try:
        return ValuationSpec.from_json(path.read_text())
    except OSError as err:
        raise DataFormatError(f"cannot read spec {path}: {err}") from err


@click.command("value")
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(path_type=Path),
    required=True,
    help="ValuationSpec JSON (its digest is what the DAO registers on chain).",
)
@click.option(
    "--data",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder with one <contributor>.jsonl per contributor.",
)
@click.option(
    "--validation",
    type=click.Path(path_type=Path),
    required=True,
    help="The DAO's secret validation set (JSONL).",
)
@click.option(
    "--pool",
    type=click.Path(path_type=Path),
    default=None,
    help="Existing pool (JSONL); always included as the baseline.",
)
@click.option("--seed", "seed_hex", required=True, help="32-byte epoch seed from the chain, hex.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("valuation-report"),
    show_default=True,
    help="Where report.json and label.png go.",
)
@click.option(
    "--device",
    default="cpu",
    show_default=True,
    help="cpu (the reference for scores), cuda, or auto.",
)
@compute_option
@threads_option
def value(
    spec_path: Path,
    data: Path,
    validation: Path,
    pool: Path | None,
    seed_hex: str,
    out: Path,
    device: str,
    compute: str,
    threads: int | None,
) -> None:
    """Value each contributor's data and write the JSON report and PNG label."""
    from validator.valuation.backends import make_backend
    from validator.valuation.data import load_contributions, load_records
    from validator.valuation.pipeline import value_epoch
    from validator.valuation.report import write_report

    spec = _spec(spec_path)
    seed = _seed(seed_hex)
    result = value_epoch(
        spec,
        load_contributions(data),
        load_records(validation),
        load_records(pool) if pool is not None else (),
        seed,
        make_backend(compute, device, threads),
    )
    json_path, png_path = write_report(result, out)
    for c in result.contributors:
        flags = f"  [{'; '.join(c.flags)}]" if c.flags else ""
        click.echo(f"{c.contributor:<24} {c.value:+.4f} nats  {int(c.bps):>5} bps{flags}")
    click.echo(f"spec {spec.digest()}  backend {result.backend}")
    click.echo(f"wrote {json_path} and {png_path}")
