"""``datadao --help`` and the commands that train no model never import the valuation stack.

torch, scipy, scikit-learn and datasketch take seconds to import; a contributor who runs
``datadao submissions`` should not pay for them (issue #22: every command took 5-10 s to start).
Each check runs in a fresh interpreter, so modules imported by other tests cannot hide a leak.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "scipy", "sklearn", "datasketch")

_PROBE = """
import json, sys
from node.cli.main import cli
try:
    cli.main(args=sys.argv[1:], prog_name="datadao", standalone_mode=False)
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
print(json.dumps(heavy))
"""


def _heavy_modules_after(*args: str) -> list[str]:
    probe = _PROBE.replace("{heavy!r}", repr(set(HEAVY)))
    done = subprocess.run(
        [sys.executable, "-c", probe, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    last = done.stdout.strip().splitlines()[-1]
    loaded: list[str] = json.loads(last)
    return loaded


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        (),
        ("submissions", "--help"),
        ("contribute", "--help"),
        ("rewards", "--help"),
        ("gov", "--help"),
        ("renter", "--help"),
        ("validator", "--help"),
        ("validator", "status", "--help"),
        ("value", "--help"),
    ],
    ids=lambda a: " ".join(a) or "(none)",
)
def test_no_model_stack_is_imported(args: tuple[str, ...]) -> None:
    assert _heavy_modules_after(*args) == []


def test_the_probe_sees_a_heavy_import_when_one_happens() -> None:
    """The probe is honest: touching the valuation pipeline does import torch."""
    probe = _PROBE.replace("{heavy!r}", repr(set(HEAVY))).replace(
        "from node.cli.main import cli",
        "from node.cli.main import cli\nimport validator.valuation as v; v.value_epoch",
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "torch" in json.loads(done.stdout.strip().splitlines()[-1])


def test_importtime_of_help_lists_no_model_stack() -> None:
    """The same through ``python -X importtime -m node.cli --help``, the issue's own measure."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "node.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "Usage: datadao" in done.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "node.cli.main" in imported  # the measure covers the CLI
    assert not {m for m in imported if m.split(".")[0] in HEAVY}


def test_lazy_valuation_package_still_exports_its_names() -> None:
    import validator.valuation as valuation

    assert valuation.ValuationSpec.__name__ == "ValuationSpec"
    with pytest.raises(AttributeError):
        _ = valuation.no_such_name
    assert set(valuation.__all__) <= set(dir(valuation))
