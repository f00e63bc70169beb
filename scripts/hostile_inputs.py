"""Count the hostile inputs the tests try, per attack surface, for the README's table.

For each surface it runs that surface's hostile tests with pytest and hypothesis's statistics,
and prints the hand-written cases (collected test items) and the generated examples hypothesis
ran; for the contracts it counts the Foundry tests that expect a revert and the fuzz and
invariant tests. The figures in the README come from this script, so they are the tests' own.

    python scripts/hostile_inputs.py            # a Markdown table on stdout
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SURFACES: dict[str, tuple[str, list[str]]] = {
    "export importers": (
        "a typed ParseError naming file and line, nothing written, no traceback",
        [
            "tests/unit/node/parsers/test_parsers_hostile.py",
            "tests/unit/node/parsers/test_parsers_bignum.py",
            "tests/unit/node/parsers/test_parsers_fuzz_property.py",
            "tests/unit/node/parsers/test_parsers_detection.py",
            "tests/unit/node/parsers/test_parsers_stream.py",
        ],
    ),
    "canonical loader (validators read contributor plaintext)": (
        "a typed ParseError naming the line; the file scores 0 with the reason",
        [
            "tests/unit/node/parsers/test_parsers_canonical_property.py",
            "tests/unit/validator/test_scoring_hostile.py",
            "tests/unit/validator/valuation/test_valuation_data_hostile.py",
        ],
    ),
    "DDF reader and key shares": (
        "the one opaque EnvelopeError (shares: KeyCustodyError), nothing decrypted",
        [
            "tests/unit/node/protocol/test_ddf_tamper.py",
            "tests/unit/node/protocol/test_ddf_property.py",
        ],
    ),
    "share API": (
        "a typed refusal (HTTP 4xx with a code) before any state is touched; service unharmed",
        [
            "tests/unit/validator/shares",
            "tests/integration/custody/test_renter_fetch.py",
            "tests/integration/custody/test_share_service_load.py",
            "tests/integration/custody/test_share_service_state.py",
        ],
    ),
    "validator journal": (
        "the record quarantined with its reason; the daemon keeps running",
        ["tests/unit/validator/test_journal.py"],
    ),
    "CLI": (
        "one line on stderr, the exit code of the error's class, no traceback",
        [
            "tests/unit/cli/test_cli_exit_codes.py",
            "tests/integration/cli/test_cli_devnet_keys.py",
            "tests/unit/node/storage/test_cli_cid.py",
            "tests/unit/node/storage/test_cli_storage.py",
        ],
    ),
}

_PASSED = re.compile(r"(\d+) passed")
_EXAMPLES = re.compile(r"- (\d+) passing, (\d+) failing, and (\d+) invalid")


@dataclass
class Count:
    cases: int
    generated: int


def _pytest(paths: list[str]) -> Count:
    present = [p for p in paths if (ROOT / p).exists()]
    if not present:
        return Count(0, 0)
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "--hypothesis-show-statistics", *present],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    text = out.stdout + out.stderr
    passed = _PASSED.search(text)
    if out.returncode != 0 or passed is None:
        raise SystemExit(f"the tests of {present} did not pass:\n{text[-3000:]}")
    generated = sum(int(m[0]) + int(m[1]) + int(m[2]) for m in _EXAMPLES.findall(text))
    return Count(int(passed.group(1)), generated)


def _contracts() -> tuple[int, int]:
    reverts = fuzz = 0
    for f in (ROOT / "contracts" / "test").rglob("*.sol"):
        text = f.read_text()
        reverts += len(re.findall(r"function test\w*RevertWhen\w*\(", text))
        fuzz += len(re.findall(r"function (?:testFuzz_|invariant_)\w*\(", text))
    return reverts, fuzz


def main() -> None:
    print("| surface | hostile cases | generated inputs per run | what each must get |")
    print("|---|---:|---:|---|")
    for surface, (expect, paths) in SURFACES.items():
        c = _pytest(paths)
        print(f"| {surface} | {c.cases} | {c.generated} | {expect} |")
    reverts, fuzz = _contracts()
    print(
        f"| contracts | {reverts} `RevertWhen` tests | {fuzz} fuzz/invariant properties x "
        "256 runs (CI: 5,000 fuzz / 256 x 128 invariant) | a typed custom-error revert, no state "
        "change; invariants: no value created or lost |"
    )


if __name__ == "__main__":
    main()
