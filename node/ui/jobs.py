"""Long actions (a contribution, a fetch) run in a thread of their own; the page follows them.

A :class:`Job` keeps a snapshot of its progress (per step: done and total), its notes, and at
the end its result or its error, under a version counter that the server-sent-events stream
watches. One job of a kind runs at a time: the pipeline and the renter each write one data dir.
The jobs live as long as the app; what they did is recorded by the pipeline and the renter
themselves, so a crash loses only this view (the next run resumes, like the CLI).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from node.errors import ConflictError, DataDaoError, InputError

__all__ = ["Job", "JobBoard", "JobBusy", "UnknownJob"]

log = logging.getLogger(__name__)
_KEEP = 50


class JobBusy(ConflictError):
    """A job of this kind is already running."""


class UnknownJob(InputError):
    """No job with this id."""


@dataclass
class Job:
    id: str
    kind: str
    title: str
    steps: dict[str, dict[str, int | None]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    status: str = "running"  # running | done | failed
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    version: int = 0
    started: float = field(default_factory=time.time)
    _cv: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def step(self, name: str, done: int, total: int | None) -> None:
        with self._cv:
            self.steps[name] = {"done": done, "total": total}
            self._bump()

    def note(self, text: str) -> None:
        with self._cv:
            self.notes.append(text)
            del self.notes[:-_KEEP]
            self._bump()

    def finish(self, result: dict[str, Any]) -> None:
        with self._cv:
            self.status, self.result = "done", result
            self._bump()

    def fail(self, message: str) -> None:
        with self._cv:
            self.status, self.error = "failed", message
            self._bump()

    def _bump(self) -> None:
        self.version += 1
        self._cv.notify_all()

    def wait_change(self, seen: int, timeout_s: float) -> int:
        """Block until the version differs from ``seen`` (or the timeout); the version now."""
        with self._cv:
            self._cv.wait_for(lambda: self.version != seen, timeout=timeout_s)
            return self.version

    def snapshot(self) -> dict[str, Any]:
        with self._cv:
            return {
                "id": self.id,
                "kind": self.kind,
                "title": self.title,
                "status": self.status,
                "steps": {k: dict(v) for k, v in self.steps.items()},
                "notes": list(self.notes),
                "result": dict(self.result),
                "error": self.error,
                "version": self.version,
            }

    @property
    def finished(self) -> bool:
        return self.status != "running"


class JobBoard:
    """The app's jobs by id (the id is random: knowing one is needed to follow it)."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, kind: str, title: str, work: Callable[[Job], dict[str, Any]]) -> Job:
        """Run ``work(job)`` in a thread; its return value is the job's result and a
        :class:`DataDaoError` its error message (anything else: logged, reported as a bug).

        Raises:
            JobBusy: a job of ``kind`` is still running.
        """
        with self._lock:
            if any(j.kind == kind and not j.finished for j in self._jobs.values()):
                raise JobBusy(f"a {kind} is already running; wait for it to finish")
            job = Job(id=secrets.token_urlsafe(12), kind=kind, title=title)
            self._jobs[job.id] = job
            if len(self._jobs) > _KEEP:
                for old in [j for j in self._jobs.values() if j.finished][
                    : len(self._jobs) - _KEEP
                ]:
                    del self._jobs[old.id]

        def run() -> None:
            try:
                job.finish(work(job))
            except DataDaoError as err:
                job.fail(str(err))
            except Exception as err:  # a bug: the page must still end, and say so
                log.exception("%s job failed", kind)
                job.fail(f"unexpected error ({type(err).__name__}); see the app's log")

        threading.Thread(target=run, name=f"ui-{kind}", daemon=True).start()
        return job

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise UnknownJob("no such job")
        return job

    def running(self, kind: str) -> Job | None:
        with self._lock:
            return next((j for j in self._jobs.values() if j.kind == kind and not j.finished), None)
