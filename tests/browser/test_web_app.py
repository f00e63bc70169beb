"""The web app in a real browser against a devnet: contribute an export and see it registered;
after a scored epoch see its value and claim; vote on a rental proposal; request access. Each
test checks what the page shows (and the chain behind it), moves by keyboard and labels where a
person would, and saves the page's screenshot for the README."""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from node.chain.escrow import RentalEscrow, RequestStatus
from node.chain.governor import DataDAOGovernor, ProposalState
from node.chain.rewards import RewardDistributor
from node.parsers import parse_export
from node.parsers.synthetic import chatgpt_export
from node.protocol.scorevector import ScoreVector
from node.services import contributor
from node.types import DatasetId, Epoch, ReqId
from tests.browser.conftest import RENTER_PASSPHRASE, App, shoot
from tests.integration.helpers import chain_now, close_and_fix_seed, score_and_reward

pytestmark = [pytest.mark.browser, pytest.mark.integration]

DATASET = DatasetId(1)


def _export(tmp_path: Path, name: str = "chatgpt.zip") -> Path:
    path = tmp_path / name
    chatgpt_export(path, seed=zlib.crc32(str(path).encode()), conversations=4)
    return path


def _expect_text(page: Any, selector: str, pattern: str) -> str:
    from playwright.sync_api import expect

    expect(page.locator(selector).first).to_contain_text(re.compile(pattern))
    return str(page.locator(selector).first.inner_text())


def _score_without_claiming(app: App, epoch: Epoch) -> ScoreVector:
    """The committee reveals one score vector (equal weights) and finalizes; the vector is
    published on the app's blob store, and the rewards are left for the contributor to claim in
    the page."""
    close_and_fix_seed(app.devnet, epoch)
    return score_and_reward(app.devnet, epoch, store=app.node.store(), claim=False)


def test_contribute_an_export_and_see_it_registered(page: Any, app: App, tmp_path: Path) -> None:
    export = _export(tmp_path)
    records = len(parse_export(export).records)
    page.goto(f"{app.base}/contribute")
    # keyboard: the skip link, then the page's controls in order, each with its label
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    file_input = page.get_by_label("Export file")
    file_input.set_input_files(str(export))
    assert page.get_by_label("Platform").input_value() == "auto"
    assert page.get_by_label(re.compile("Remove e-mail addresses")).is_checked()
    shoot(page, "contribute", phone=True)
    page.get_by_label("Platform").focus()
    page.keyboard.press("Tab")  # the scrub checkbox
    page.keyboard.press("Tab")  # the submit button
    assert page.evaluate("document.activeElement.textContent") == "Preview what would be shared"
    page.keyboard.press("Enter")

    # the preview: what would be shared, before anything leaves the machine
    page.wait_for_url(re.compile(r"/contribute/preview/[0-9a-f]{32}"))
    assert _expect_text(page, '[data-k="platform"]', "chatgpt") == "chatgpt"
    assert _expect_text(page, '[data-k="records"]', str(records)).startswith(str(records))
    dates = page.locator('[data-k="dates"]').inner_text()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d", dates)
    assert page.locator('[data-k="pii"]').inner_text()  # what the scrubber removed, in words
    assert page.locator("table tbody tr").count() > 0  # a scrubbed sample
    shoot(page, "preview", phone=True)
    page.get_by_role("button", name=f"Contribute {records} records").click()

    # live progress, then the outcome
    page.wait_for_url(re.compile(r"/jobs/"))
    assert page.get_by_label("Seal").count() == 1  # a labelled progress bar per step
    result = _expect_text(page, "#job-result", r"Registered in block \d+")
    shoot(page, "contribute-progress")
    block = int(re.search(r"block (\d+)", result).group(1))  # type: ignore[union-attr]

    # the chain says the same as the page
    (view,) = [v for v in contributor.contributions(app.node) if v.row.block_number == block]
    assert view.on_chain
    assert view.row.block_number == block
    assert view.row.records == records
    page.get_by_role("link", name="See all your contributions").click()
    row = page.locator(f'tr[data-file="{view.row.file_id}"]')
    assert "waiting for epoch" in row.locator(".state").inner_text()
    assert f"registered in block {block}" in row.inner_text()


def test_after_a_scored_epoch_see_the_value_and_claim(page: Any, app: App, tmp_path: Path) -> None:
    devnet = app.devnet
    result = contributor.contribute(app.node, _export(tmp_path, "second.zip"))
    file_id = result.submission.file_id
    assert file_id is not None
    epoch = Epoch(int(result.submission.epoch or 0))
    vector = _score_without_claiming(app, epoch)
    rewards = RewardDistributor(devnet.chain, devnet.address("RewardDistributor"))
    raw = bytes.fromhex(file_id[2:])
    pool = rewards.epochRewards(DATASET, epoch).contributor_pool
    reward = pool * vector.value(raw) // vector.total
    assert reward > 0

    page.goto(f"{app.base}/contributions")
    row = page.locator(f'tr[data-file="{file_id}"]')
    bps = vector.value(raw) * 10_000 // vector.total
    assert row.locator(".value").inner_text() == f"{bps / 100:.2f}% of the epoch"
    tokens = f"{Web3.from_wei(reward, 'ether'):,.4f}"
    assert row.locator(".tokens").inner_text() == tokens
    assert row.locator(".state").inner_text() == "scored: tokens ready to claim"
    assert row.locator(".flags").inner_text() == "none"
    shoot(page, "contributions", phone=True)
    claim = row.get_by_role("button", name=f"Claim {tokens} tokens")
    claim.focus()
    page.keyboard.press("Enter")

    _expect_text(page, ".flash.ok", f"claimed {re.escape(tokens)} tokens")
    row = page.locator(f'tr[data-file="{file_id}"]')
    assert row.locator(".state").inner_text() == "scored and claimed"
    assert row.get_by_role("button").count() == 0
    assert rewards.claimed(DATASET, epoch, raw)
    shoot(page, "contributions-claimed")


def test_vote_on_a_rental_proposal(page: Any, app: App) -> None:
    devnet = app.devnet
    # voting power: the app's account must hold (self-delegated) tokens before the proposal
    result = contributor.contribute(app.node, _export(Path(app.home), "vote.zip"))
    epoch = Epoch(int(result.submission.epoch or 0))
    if (
        not RewardDistributor(devnet.chain, devnet.address("RewardDistributor"))
        .epochRewards(DATASET, epoch)
        .finalized
    ):
        _score_without_claiming(app, epoch)
    assert result.submission.file_id is not None
    contributor.claim(app.node, result.submission.file_id)
    devnet.time.mine(1)
    renter = devnet.spare[3]
    fee = Web3.to_wei(0.25, "ether")
    req = RentalEscrow(devnet.client(renter), devnet.address("RentalEscrow")).requestAccess(
        DATASET, b"\x01" * 32, 0, int(epoch), chain_now(devnet) + 86_400, fee
    )

    page.goto(f"{app.base}/governance")
    card = page.locator(f"#request-{req}")
    assert "open" in card.locator("h3").inner_text()
    assert renter.address in card.inner_text()
    assert "0.2500 ETH" in card.inner_text()
    card.get_by_role("button", name=f"Propose granting request #{req}").click()
    _expect_text(page, ".flash.ok", f"proposed granting request #{req}")

    governor = DataDAOGovernor(devnet.chain, devnet.address("DataDAOGovernor"))
    pid = RentalEscrow(devnet.chain, devnet.address("RentalEscrow")).grantProposalId(ReqId(req))
    devnet.time.mine(governor.votingDelay() + 1)
    assert governor.state(pid) is ProposalState.ACTIVE
    page.goto(f"{app.base}/governance")
    proposal = page.locator(f'[id="proposal-{pid}"]')
    assert proposal.locator(".state").inner_text() == "active"
    assert f"Grant rental request #{req}" in proposal.locator("h3").inner_text()
    proposal.get_by_label("For", exact=True).check()
    proposal.get_by_label("Reason (optional, public)").fill("fair fee")
    shoot(page, "governance")
    proposal.get_by_role("button", name="Cast vote").click()

    flash = _expect_text(page, ".flash.ok", r"voted for with [\d,.]+ votes")
    weight = flash.split("with ")[1].split(" votes")[0]
    proposal = page.locator(f'[id="proposal-{pid}"]')
    assert proposal.locator("dd.for").inner_text() == weight
    assert "(you voted)" in proposal.inner_text()
    assert proposal.get_by_role("button", name="Cast vote").count() == 0
    assert governor.hasVoted(pid, app.address)


def test_request_access(page: Any, app: App) -> None:
    devnet = app.devnet
    escrow = RentalEscrow(devnet.chain, devnet.address("RentalEscrow"))
    before = escrow.requestCount()
    page.goto(f"{app.base}/rent")
    page.get_by_label("Fee (ETH)").fill("0.3")
    page.get_by_label("Access lasts (days)").fill("10")
    page.get_by_label(re.compile(r"^Last epoch")).fill("")
    page.get_by_role("button", name="Request access").click()

    flash = _expect_text(page, ".flash.ok", r"access request #\d+ sent")
    req = int(re.search(r"#(\d+)", flash).group(1))  # type: ignore[union-attr]
    assert req == before + 1
    card = page.locator(f"#rent-request-{req}")
    assert card.locator(".state").inner_text() == "open"
    assert "0.3000 ETH" in card.inner_text()
    assert "Waiting for the holders" in card.inner_text()
    request = escrow.request(ReqId(req))
    assert request.renter == app.address
    assert request.status is RequestStatus.OPEN
    assert request.fee == Web3.to_wei(0.3, "ether")
    shoot(page, "rent", phone=True)
    assert RENTER_PASSPHRASE not in page.content()


def test_validator_and_dataset_pages(page: Any, app: App) -> None:
    """The validator page reads a journal in its documented format (never its salt); the
    dataset page shows every epoch with files, its scores and its nutrition labels."""
    import json

    devnet = app.devnet
    validator = devnet.validators[0].address
    vdir = app.home / "validator" / validator
    (vdir / "journal").mkdir(parents=True, exist_ok=True)
    salt = "5a" * 32
    (vdir / "journal" / "1-3.json").write_text(
        json.dumps(
            {
                "format": "datadao.validator-journal/1",
                "dataset_id": 1,
                "epoch": 3,
                "state": "REVEALED",
                "file_ids": ["ab" * 32],
                "scores_bps": [0],
                "reasons": {"ab" * 32: "duplicate: 23 records shared with others"},
                "salt": salt,
                "commitment": "cd" * 32,
                "tx": {"commit": "0x" + "11" * 32, "reveal": "0x" + "22" * 32},
                "missed_reason": "",
            }
        )
    )
    page.goto(f"{app.base}/validator?address={validator}")
    assert _expect_text(page, "#stake-amount", r"\d")  # devnet stake
    body = page.locator("main").inner_text()
    assert "REVEALED" in body
    assert "duplicate: 23 records shared with others" in body
    assert salt not in page.content()
    shoot(page, "validator")

    result = contributor.contribute(app.node, _export(Path(app.home), "dataset.zip"))
    page.goto(f"{app.base}/dataset")
    section = page.locator(f"#dataset-epoch-{result.submission.epoch}")
    assert result.submission.file_id is not None
    assert result.submission.file_id[:10] in section.inner_text()
    assert app.address[:10] in section.inner_text()
    shoot(page, "dataset")
