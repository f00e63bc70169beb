"""The contributor's pipeline (DESIGN.md §3 steps 1-4), resumable step by step.

``ContributionPipeline`` (in ``contribution.py``) drives parse -> seal -> store -> register over
injected collaborators; ``gateway.py`` is its view of the chain. See the module docstrings for
the exactly-once argument and the ``DATADAO_CRASH_AFTER`` test hook.
"""

from node.pipeline.contribution import (
    CRASH_ENV,
    CRASH_STEPS,
    BondAboveLimit,
    ContentAlreadyContributed,
    ContributionOutcome,
    ContributionPipeline,
    ContributionResult,
    ExportUnreadable,
    Progress,
    ProgressCallback,
    RegistrationFailed,
    RegistrationMismatch,
    SourceChanged,
    crash_after_from_env,
    format_wei,
)
from node.pipeline.gateway import ChainGateway, NoActiveRitual, SubmissionGateway, WrongBond

__all__ = [
    "CRASH_ENV",
    "CRASH_STEPS",
    "BondAboveLimit",
    "ChainGateway",
    "ContentAlreadyContributed",
    "ContributionOutcome",
    "ContributionPipeline",
    "ContributionResult",
    "ExportUnreadable",
    "NoActiveRitual",
    "Progress",
    "ProgressCallback",
    "RegistrationFailed",
    "RegistrationMismatch",
    "SourceChanged",
    "SubmissionGateway",
    "WrongBond",
    "crash_after_from_env",
    "format_wei",
]
