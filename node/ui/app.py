"""The web app: FastAPI routes over :mod:`node.services`, rendered with Jinja2 templates.

Pages read; actions are POST forms (CSRF-checked, :mod:`node.ui.security`) that redirect back
to their page with a one-time message (post/redirect/get), so reloading never sends twice.
Long actions (contribute, fetch) run as :mod:`node.ui.jobs` and their pages follow them by
server-sent events. Errors of the project's tree become a message on the page, in the words
the CLI uses; nothing else is shown of them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar, cast

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.responses import StreamingResponse
from web3 import Web3

from node.chain.governor import ProposalState
from node.db import crud
from node.db.models import SubmissionStatus
from node.devnet.validation import SPEC_FILE
from node.errors import DataDaoError, InputError
from node.parsers import AttachedProof
from node.parsers.base import MAX_PROOF_BYTES
from node.pipeline import ContributionOutcome, Progress
from node.proofs.attach import policy_from_spec, read_proof_file
from node.proofs.base import Status, Verdict
from node.proofs.params import ProofPolicy
from node.services import contributor, dataset, governance, renter, validator
from node.services.node import UiNode
from node.services.uploads import UploadStore, UploadTooLarge
from node.services.validator_files import label_file, validator_dirs
from node.ui.jobs import Job, JobBoard
from node.ui.proofs import ProofLog
from node.ui.security import Guard, UiSecrets, require_csrf

__all__ = ["UiConfig", "create_app"]

log = logging.getLogger(__name__)
_HERE = Path(__file__).parent
UPLOAD_PATH = "/contribute/upload"
PLATFORMS = ("auto", "chatgpt", "reddit", "twitter", "telegram", "generic")
T = TypeVar("T")


@dataclass(frozen=True)
class UiConfig:
    """What ``datadao ui`` was told. ``renter_passphrase`` stays on the server (the session
    keystore's); the browser never sees it."""

    host: str = "127.0.0.1"
    port: int = 8765
    max_upload_bytes: int = 512 << 20
    renter_passphrase: str | None = field(default=None, repr=False)
    secrets: UiSecrets = field(default_factory=UiSecrets)
    spec_file: Path = SPEC_FILE
    """The dataset's ValuationSpec, whose ``proofs`` section pins what an ownership proof is
    checked against (as ``datadao inspect --spec``; default the devnet's)."""

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/?token={self.secrets.token}"


class _Flash:
    """One-time messages after an action, by random id (never text in the URL)."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, kind: str, text: str) -> str:
        key = secrets.token_urlsafe(8)
        with self._lock:
            self._items[key] = (kind, text)
            while len(self._items) > 200:
                self._items.popitem(last=False)
        return key

    def pop(self, key: str | None) -> tuple[str, str] | None:
        if not key:
            return None
        with self._lock:
            return self._items.pop(key, None)


def _tokens(wei: int) -> str:
    return f"{Web3.from_wei(int(wei), 'ether'):,.4f}"


def _when(ts: int | float | None) -> str:
    if not ts:
        return "-"
    return datetime.fromtimestamp(float(ts), UTC).strftime("%Y-%m-%d %H:%M UTC")


def _verdict(row: dict[str, str]) -> Verdict:
    """A verdict back from its summary row (``services.contributor.summarize``)."""
    return Verdict(row["method"], cast(Status, row["status"]), row["reason"])


def _verdict_words(row: dict[str, str]) -> str:
    return _verdict(row).describe()


def _short(value: str | None, keep: int = 10) -> str:
    if not value:
        return ""
    return value if len(value) <= 2 * keep else f"{value[:keep]}…{value[-6:]}"


def create_app(node: UiNode, config: UiConfig) -> Guard:
    """The app for ``node``, wrapped in its :class:`Guard` (what uvicorn serves)."""
    app = FastAPI(title="datadao", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.secrets = config.secrets
    templates = Jinja2Templates(directory=str(_HERE / "templates"))
    templates.env.filters["tokens"] = _tokens
    templates.env.filters["when"] = _when
    templates.env.filters["short"] = _short
    jobs = JobBoard()
    flash = _Flash()
    uploads = UploadStore(node.home / "ui" / "uploads")
    proof_uploads = UploadStore(node.home / "ui" / "proofs")
    proof_log = ProofLog(node.home / "ui" / "proofs.json")
    passphrase = config.renter_passphrase

    def page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        me: str | None = None
        with _Quiet():
            me = node.address()
        return templates.TemplateResponse(
            request,
            name,
            {
                "csrf": config.secrets.csrf,
                "me": me,
                "flash": flash.pop(request.query_params.get("flash")),
                "nav": request.url.path,
                **ctx,
            },
            status_code=status,
        )

    def back(path: str, kind: str, text: str) -> RedirectResponse:
        sep = "&" if "?" in path else "?"
        return RedirectResponse(f"{path}{sep}flash={flash.put(kind, text)}", status_code=303)

    def attempt(fn: Callable[[], T]) -> tuple[T | None, str]:
        """Run a read for a page; a project error becomes the page's message."""
        try:
            return fn(), ""
        except DataDaoError as err:
            return None, str(err)

    def act(path: str, fn: Callable[[], str]) -> RedirectResponse:
        """Run an action; back to ``path`` with its outcome or its error in words."""
        try:
            return back(path, "ok", fn())
        except DataDaoError as err:
            return back(path, "error", str(err))

    actions = APIRouter(dependencies=[Depends(require_csrf)])

    def proof_policy() -> ProofPolicy:
        """The dataset's pinned proof parameters (read per use: governance may change them)."""
        return policy_from_spec(config.spec_file)

    def attached(proof_id: str) -> tuple[AttachedProof, ...]:
        """The proof uploaded as ``proof_id`` ("" for none), read as ``--proof`` reads it.

        Raises:
            UnknownUpload: no such proof upload.
            ProofFileError: empty, too large, or no known method recognises it.
        """
        if not proof_id:
            return ()
        return (read_proof_file(str(proof_uploads.get(proof_id).path)),)

    def contributor_address() -> str:
        with _Quiet():
            me = node.address()
            if me:
                return me
        return "0x" + "00" * 20

    # ------------------------------------------------------------------------- contribute

    @app.get("/")
    def index() -> RedirectResponse:
        return RedirectResponse("/contribute", status_code=303)

    @app.get("/contribute", response_class=HTMLResponse)
    def contribute_page(request: Request) -> HTMLResponse:
        unfinished, error = attempt(
            lambda: [v for v in contributor.contributions(node) if v.resumable]
        )
        return page(
            request,
            "contribute.html",
            uploads=uploads.list()[:10],
            unfinished=unfinished or [],
            running=jobs.running("contribution"),
            platforms=PLATFORMS,
            error=error,
        )

    @actions.post(UPLOAD_PATH)
    def upload(
        export: UploadFile,
        platform: str = Form("auto"),
        scrub: str = Form(""),
        proof: UploadFile | None = None,
    ) -> RedirectResponse:
        def chunks(f: UploadFile) -> Any:
            while chunk := f.file.read(1 << 20):
                yield chunk

        proof_id = ""
        try:
            if proof is not None and proof.filename:  # browsers send an empty part for none
                # a proof past its cap is refused before the export is kept
                kept = proof_uploads.save(chunks(proof), proof.filename, max_bytes=MAX_PROOF_BYTES)
                proof_id = kept.id
            saved = uploads.save(chunks(export), export.filename, max_bytes=config.max_upload_bytes)
        except UploadTooLarge as err:
            raise HTTPException(status_code=413, detail=str(err)) from None
        plat = platform if platform in PLATFORMS else "auto"
        query = f"platform={plat}&scrub={'1' if scrub else '0'}"
        if proof_id:
            query += f"&proof={proof_id}"
        return RedirectResponse(f"/contribute/preview/{saved.id}?{query}", status_code=303)

    @app.get("/contribute/preview/{upload_id}", response_class=HTMLResponse)
    def preview_page(
        request: Request,
        upload_id: str,
        platform: str = "auto",
        scrub: str = "1",
        proof: str = "",
    ) -> HTMLResponse:
        try:
            saved = uploads.get(upload_id)
            if proof:
                proof_uploads.get(proof)
        except DataDaoError as err:
            raise HTTPException(status_code=404, detail=str(err)) from None
        plat = platform if platform in PLATFORMS else "auto"
        do_scrub = scrub != "0"
        policy, policy_error = attempt(proof_policy)
        preview, error = attempt(
            lambda: contributor.preview_export(
                saved.path,
                platform=plat,
                scrub=do_scrub,
                proofs=attached(proof),
                policy=policy,
                contributor=contributor_address(),
            )
        )
        return page(
            request,
            "preview.html",
            upload=saved,
            preview=preview,
            error=error or policy_error,
            platform=plat,
            scrub=do_scrub,
            proof_id=proof,
            policy=policy,
        )

    def _contribution_job(
        path: Path,
        platform: str,
        scrub: bool,
        title: str,
        proofs: tuple[AttachedProof, ...] = (),
    ) -> Job:
        def work(job: Job) -> dict[str, Any]:
            def progress(event: Progress) -> None:
                if event.note:
                    job.note(f"{event.step}: {event.note}")
                if event.total is not None or event.done:
                    job.step(event.step, event.done, event.total)

            checked: list[dict[str, str]] = []
            if proofs:  # the verdicts validators would reach, kept for the contributions page
                summary = contributor.preview_export(
                    path,
                    platform=platform,
                    scrub=scrub,
                    samples=0,
                    proofs=proofs,
                    policy=proof_policy(),
                    contributor=contributor_address(),
                ).summary
                checked = list(summary["proofs"])
                job.note("ownership proof: " + "; ".join(_verdict_words(v) for v in checked))
            result = contributor.contribute(
                node, path, platform=platform, scrub=scrub, progress=progress, proofs=proofs
            )
            s = result.submission
            if s.file_id:
                proof_log.record(s.file_id, [_verdict(v) for v in checked])
            return {
                "outcome": result.outcome.value,
                "already": result.outcome is ContributionOutcome.ALREADY_SUBMITTED,
                "id": s.id,
                "platform": s.platform,
                "records": s.records,
                "file_id": s.file_id,
                "cid": s.cid,
                "epoch": s.epoch,
                "block": s.block_number,
                "tx": s.tx_hash,
                "proofs": [_verdict_words(v) for v in checked],
            }

        return jobs.start("contribution", title, work)

    @actions.post("/contribute/start")
    def contribute_start(
        upload_id: str = Form(...),
        platform: str = Form("auto"),
        scrub: str = Form(""),
        proof: str = Form(""),
    ) -> RedirectResponse:
        try:
            saved = uploads.get(upload_id)
            proofs = attached(proof)  # refused here, before anything is sealed or sent
            plat = platform if platform in PLATFORMS else "auto"
            job = _contribution_job(
                saved.path, plat, bool(scrub), f"Contributing {saved.name}", proofs
            )
        except DataDaoError as err:
            return back("/contribute", "error", str(err))
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    @actions.post("/contribute/resume")
    def contribute_resume(submission: int = Form(...)) -> RedirectResponse:
        try:
            with node.session() as session:
                row = crud.get_submission(session=session, submission_id=submission)
            if row is None or row.status in (SubmissionStatus.REGISTERED, SubmissionStatus.FAILED):
                raise InputError("nothing to resume for this contribution")
            path = Path(row.source_path or "")
            if not row.source_path or not path.exists():
                raise InputError(
                    "the export this contribution was made from is gone; upload it again"
                )
            job = _contribution_job(path, row.platform, row.scrubbed, f"Resuming #{row.id}")
        except DataDaoError as err:
            return back("/contribute", "error", str(err))
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    # ------------------------------------------------------------------------- jobs

    @app.get("/jobs/{job_id}", response_class=HTMLResponse)
    def job_page(request: Request, job_id: str) -> HTMLResponse:
        try:
            job = jobs.get(job_id)
        except DataDaoError as err:
            raise HTTPException(status_code=404, detail=str(err)) from None
        return page(request, "job.html", job=job.snapshot())

    @app.get("/jobs/{job_id}/events")
    async def job_events(job_id: str) -> StreamingResponse:
        try:
            job = jobs.get(job_id)
        except DataDaoError as err:
            raise HTTPException(status_code=404, detail=str(err)) from None

        async def stream() -> AsyncIterator[str]:
            seen = -1
            while True:
                snap = job.snapshot()
                if snap["version"] != seen:
                    seen = snap["version"]
                    kind = "end" if job.finished else "progress"
                    yield f"event: {kind}\ndata: {json.dumps(snap)}\n\n"
                    if job.finished:
                        return
                await asyncio.to_thread(job.wait_change, seen, 10.0)
                yield ": keep-alive\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")

    # ------------------------------------------------------------------------- contributions

    @app.get("/contributions", response_class=HTMLResponse)
    def contributions_page(request: Request) -> HTMLResponse:
        rows, error = attempt(lambda: contributor.contributions(node))
        balance: int | None = None
        symbol = ""
        if not error:
            with _Quiet():
                ctx = node.chain()
                me = node.address()
                symbol = ctx.contracts.token.symbol()
                balance = ctx.contracts.token.balanceOf(me) if me else None
        return page(
            request,
            "contributions.html",
            rows=rows or [],
            proofs={v.row.file_id: proof_log.get(v.row.file_id or "") for v in rows or []},
            error=error,
            balance=balance,
            symbol=symbol,
        )

    @actions.post("/contributions/claim")
    def claim(file_id: str = Form(...)) -> RedirectResponse:
        return act(
            "/contributions",
            lambda: f"claimed {_tokens(contributor.claim(node, file_id))} tokens",
        )

    # ------------------------------------------------------------------------- governance

    @app.get("/governance", response_class=HTMLResponse)
    def governance_page(request: Request) -> HTMLResponse:
        view, error = attempt(lambda: governance.overview(node.chain()))
        return page(request, "governance.html", view=view, error=error, states=ProposalState)

    @actions.post("/governance/delegate")
    def delegate(to: str = Form("")) -> RedirectResponse:
        return act(
            "/governance",
            lambda: f"delegated your votes to {governance.delegate(node.signer(), to.strip())}",
        )

    @actions.post("/governance/propose")
    def propose(req_id: int = Form(...)) -> RedirectResponse:
        return act(
            "/governance",
            lambda: (
                f"proposed granting request #{req_id}: proposal "
                f"{governance.propose_grant(node.signer(), req_id)}"
            ),
        )

    @actions.post("/governance/vote")
    def vote(
        proposal: str = Form(...), support: str = Form(...), reason: str = Form("")
    ) -> RedirectResponse:
        return act(
            "/governance",
            lambda: (
                f"voted {support} with "
                f"{_tokens(governance.vote(node.signer(), proposal, support, reason[:500]))} votes"
            ),
        )

    @actions.post("/governance/queue")
    def queue(proposal: str = Form(...)) -> RedirectResponse:
        return act(
            "/governance",
            lambda: f"queued; executable in {governance.queue(node.signer(), proposal)} s",
        )

    @actions.post("/governance/execute")
    def execute(proposal: str = Form(...)) -> RedirectResponse:
        return act(
            "/governance",
            lambda: f"executed: {governance.execute(node.signer(), proposal).description}",
        )

    # ------------------------------------------------------------------------- rent

    @app.get("/rent", response_class=HTMLResponse)
    def rent_page(request: Request) -> HTMLResponse:
        mine, error = attempt(lambda: renter.my_requests(node))
        current, _ = attempt(
            lambda: int(node.chain().contracts.config.currentEpoch(node.dataset_id))
        )
        return page(
            request,
            "rent.html",
            requests=mine or [],
            error=error,
            current=current,
            can_rent=bool(passphrase),
            running=jobs.running("fetch"),
        )

    @actions.post("/rent/request")
    def rent_request(
        fee_eth: str = Form(...),
        expiry_days: int = Form(30),
        from_epoch: int = Form(0),
        to_epoch: str = Form(""),
    ) -> RedirectResponse:
        def run() -> str:
            try:
                fee = Decimal(fee_eth.strip())
            except InvalidOperation:
                raise InputError(f"the fee is not a number: {fee_eth[:40]}") from None
            if not fee.is_finite() or fee <= 0 or fee > 10**9:
                raise InputError("the fee must be a positive amount of ETH")
            if not 1 <= expiry_days <= 3650:
                raise InputError("access lasts 1 to 3650 days")
            last = int(to_epoch) if to_epoch.strip().isdigit() else None
            req = renter.request_access(
                node,
                passphrase=passphrase,
                from_epoch=from_epoch,
                to_epoch=last,
                expiry_s=expiry_days * 86400,
                fee_wei=int(Web3.to_wei(fee, "ether")),
            )
            return f"access request #{req} sent; it now waits for the holders' vote"

        return act("/rent", run)

    @actions.post("/rent/fetch")
    def rent_fetch(req_id: int = Form(...)) -> RedirectResponse:
        def work(job: Job) -> dict[str, Any]:
            report = renter.fetch(
                node,
                req_id,
                passphrase=passphrase,
                on_total=lambda n: job.step("decrypt", 0, n),
                progress=lambda done, total: job.step("decrypt", done, total),
            )
            return {
                "files": report.files,
                "fetched": report.fetched,
                "skipped": report.skipped,
                "bytes": report.bytes_written,
                "out_dir": str(report.out_dir),
                "bad": report.bad,
                "unreachable": report.unreachable,
            }

        try:
            job = jobs.start("fetch", f"Fetching request #{req_id}", work)
        except DataDaoError as err:
            return back("/rent", "error", str(err))
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    # ------------------------------------------------------------------------- validator

    @app.get("/validator", response_class=HTMLResponse)
    def validator_page(request: Request, address: str = "") -> HTMLResponse:
        known = validator_dirs(node.home)
        me: str | None = None
        with _Quiet():
            me = node.address()
        chosen = address or me or (known[0] if known else "")
        if chosen and chosen not in known and chosen != me:
            raise HTTPException(status_code=404, detail="no such validator in this data dir")
        view, error = (
            (None, "no validator in this data dir")
            if not chosen
            else attempt(lambda: validator.validator_view(node, chosen))
        )
        return page(request, "validator.html", view=view, error=error, known=known, chosen=chosen)

    # ------------------------------------------------------------------------- dataset

    @app.get("/dataset", response_class=HTMLResponse)
    def dataset_page(request: Request) -> HTMLResponse:
        epochs, error = attempt(lambda: dataset.epochs(node))
        return page(request, "dataset.html", epochs=epochs or [], error=error)

    @app.get("/dataset/label/{address}/{epoch}/{name}")
    def label(address: str, epoch: int, name: str) -> Response:
        try:
            path = label_file(node.home, address, epoch, name)
        except DataDaoError:
            raise HTTPException(status_code=404, detail="no such label file") from None
        media = "image/png" if name.endswith(".png") else "application/json"
        return FileResponse(path, media_type=media)

    app.include_router(actions)
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return templates.TemplateResponse(
            request,
            "error.html",
            {
                "status": exc.status_code,
                "detail": exc.detail,
                "nav": "",
                "me": None,
                "csrf": config.secrets.csrf,
                "flash": None,
            },
            status_code=exc.status_code,
        )

    return Guard(
        app,
        secrets_=config.secrets,
        host=config.host,
        port=config.port,
        upload_path=UPLOAD_PATH,
        max_upload_bytes=config.max_upload_bytes,
    )


class _Quiet:
    """Swallow a project error in an optional part of a page (the header's address)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> bool:
        return exc_type is not None and issubclass(exc_type, DataDaoError)
