"""The exit codes of every ``datadao`` command, and the one translation from errors to them.

A script must be able to tell "the export is garbage" from "the chain is down" without parsing
English, so each family of the error tree (``node/errors.py``) has its own code. The root
command (``node/cli/main.py``) is the single boundary that calls :func:`classify`; commands
raise typed errors and never choose a code themselves.

======  ============  =========================================================================
code    name          meaning
======  ============  =========================================================================
0       OK            done (including "already submitted": nothing left to do)
1       INTERNAL      an unexpected error (a bug: ``-v`` shows the traceback) or a failure with
                      no more specific class (e.g. a demo check)
2       USAGE         bad command line (click's own code)
3       CONFIG        settings missing, malformed or unsafe: no signing key, no deployment file,
                      a devnet key on another chain, an invalid environment variable
4       INPUT         bad input: a missing or unreadable file, an export that does not parse,
                      an unknown id
5       CHAIN         the RPC is unreachable, a call or transaction reverted or timed out
6       STORAGE       IPFS / blockstore / pinning failed
7       CUSTODY       key custody: no active key ritual, not enough decryption shares, a sealed
                      file or keystore that does not open
8       VALUATION     value estimation could not run (spec, data, compute backend)
9       DATABASE      the node's database (or a validator's journal) cannot be opened or used
10      CONFLICT      already done, by someone else or earlier: content registered by another
                      contributor, a reward already claimed, a vote already cast
130     INTERRUPTED   Ctrl-C (SIGINT)
======  ============  =========================================================================

Errors from libraries that escape the code that should have translated them (a requests
``ConnectionError`` from web3, an SQLAlchemy ``OperationalError``, a pydantic ``ValidationError``
from the settings) are classified here by the library they come from, so they too get their
family's code and one line, never a traceback.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass
from enum import IntEnum

from node.errors import DataDaoError

__all__ = ["ERROR_CODES", "ExitCode", "Failure", "classify"]


class ExitCode(IntEnum):
    OK = 0
    INTERNAL = 1
    USAGE = 2
    CONFIG = 3
    INPUT = 4
    CHAIN = 5
    STORAGE = 6
    CUSTODY = 7
    VALUATION = 8
    DATABASE = 9
    CONFLICT = 10
    INTERRUPTED = 130


# Error class (``module.QualName``) -> code. The first class of an error's MRO that is listed
# decides, so a specific entry overrides its family's. Names, not imports: classifying an error
# must not import the pipeline, the validator or the generated revert table.
ERROR_CODES: dict[str, ExitCode] = {
    # families (node/errors.py)
    "node.errors.ConfigError": ExitCode.CONFIG,
    "node.errors.ParseError": ExitCode.INPUT,
    "node.errors.EnvelopeError": ExitCode.CUSTODY,
    "node.errors.StorageError": ExitCode.STORAGE,
    "node.errors.ChainError": ExitCode.CHAIN,
    "node.errors.KeyCustodyError": ExitCode.CUSTODY,
    "node.errors.ValuationError": ExitCode.VALUATION,
    "node.errors.DatabaseError": ExitCode.DATABASE,
    "node.errors.InputError": ExitCode.INPUT,
    "node.errors.ConflictError": ExitCode.CONFLICT,
    # chain errors that are really configuration: nothing on the network was wrong
    "node.chain.errors.SignerRequired": ExitCode.CONFIG,
    "node.chain.errors.DeploymentNotFound": ExitCode.CONFIG,
    # already done (someone else's registration, an earlier claim, reveal or vote)
    "node.pipeline.contribution.ContentAlreadyContributed": ExitCode.CONFLICT,
    "node.chain._revert_table.SubmissionRegistryDuplicateContent": ExitCode.CONFLICT,
    "node.chain._revert_table.SubmissionRegistryDuplicateFileId": ExitCode.CONFLICT,
    "node.chain._revert_table.RewardDistributorAlreadyClaimed": ExitCode.CONFLICT,
    "node.chain._revert_table.RewardDistributorValidatorAlreadyClaimed": ExitCode.CONFLICT,
    "node.chain._revert_table.RewardDistributorAlreadyFinalized": ExitCode.CONFLICT,
    "node.chain._revert_table.RentalEscrowAlreadyClaimed": ExitCode.CONFLICT,
    "node.chain._revert_table.ScoreBoardAlreadyCommitted": ExitCode.CONFLICT,
    "node.chain._revert_table.ScoreBoardAlreadyRevealed": ExitCode.CONFLICT,
    "node.chain._revert_table.ScoreBoardAlreadyFinalized": ExitCode.CONFLICT,
    "node.chain._revert_table.DKGCoordinatorTranscriptAlreadyPosted": ExitCode.CONFLICT,
    "node.chain._revert_table.DKGCoordinatorAggregationAlreadyPosted": ExitCode.CONFLICT,
    # the validator's local state store
    "validator.daemon.journal.JournalError": ExitCode.DATABASE,
    # the demo's own Ctrl-C / SIGTERM
    "node.demo.procs.DemoInterrupted": ExitCode.INTERRUPTED,
}

# Library (top-level module) -> code, for their errors that escape untranslated.
_FOREIGN: dict[str, ExitCode] = {
    "requests": ExitCode.CHAIN,  # web3's HTTP transport
    "urllib3": ExitCode.CHAIN,
    "web3": ExitCode.CHAIN,
    "eth_abi": ExitCode.CHAIN,
    "httpx": ExitCode.STORAGE,  # the Kubo and pinning clients
    "sqlalchemy": ExitCode.DATABASE,
    "alembic": ExitCode.DATABASE,
    "sqlite3": ExitCode.DATABASE,
    "pydantic": ExitCode.CONFIG,  # the settings
    "pydantic_core": ExitCode.CONFIG,
}

_CHAIN_UNAVAILABLE = "node.chain.errors.ChainUnavailable"
_DEVNET_HINT = "is the node running? (on the devnet: `datadao devnet up`)"


@dataclass(frozen=True, slots=True)
class Failure:
    """What the boundary prints (one line) and exits with."""

    code: ExitCode
    message: str


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _code_of(err: BaseException) -> ExitCode | None:
    for cls in type(err).__mro__:
        code = ERROR_CODES.get(_qualname(cls))
        if code is not None:
            return code
    return None


def _library_of(err: BaseException) -> str | None:
    for cls in type(err).__mro__:
        top = cls.__module__.split(".")[0]
        if top in _FOREIGN:
            return top
    return None


def _is_unreachable(err: BaseException) -> bool:
    names = {cls.__name__ for cls in type(err).__mro__}
    return bool(
        names
        & {
            "ConnectionError",
            "Timeout",
            "ProviderConnectionError",
            "NewConnectionError",
            "MaxRetryError",
            "ConnectTimeout",
            "ReadTimeout",
            "ConnectError",
            "TimeoutException",
        }
    )


def _request_url(err: BaseException) -> str | None:
    """The URL a requests/httpx error was about, when the library recorded it."""
    request = getattr(err, "request", None)
    url = getattr(request, "url", None)
    if url is not None:
        return str(url)
    found = re.search(r"host='([^']+)', port=(\d+)", str(err))
    return f"http://{found.group(1)}:{found.group(2)}" if found else None


def _chain_unavailable(url: str | None) -> str:
    where = f" at {url}" if url else ""
    return f"cannot reach the chain{where}: {_DEVNET_HINT}"


def _foreign(
    err: BaseException, library: str, database_url: str | None, rpc_url: str | None
) -> Failure:
    code = _FOREIGN[library]
    kind = type(err).__name__
    if code is ExitCode.CHAIN:
        if _is_unreachable(err):
            return Failure(code, _chain_unavailable(_request_url(err) or rpc_url))
        return Failure(code, f"chain request failed: {kind}: {_one_line(str(err))[:300]}")
    if code is ExitCode.STORAGE:
        url = _request_url(err)
        return Failure(
            code,
            f"storage request failed ({kind}{' for ' + url if url else ''}): is the IPFS "
            "daemon at DATADAO_KUBO_API_URL running?",
        )
    if code is ExitCode.DATABASE:
        cause = getattr(err, "orig", None) or err
        first = _one_line(str(cause).splitlines()[0] if str(cause) else kind)
        where = f" {database_url}" if database_url else ""
        return Failure(code, f"cannot use the database{where}: {first}; check DATADAO_DATABASE_URL")
    # pydantic: the settings
    errors = getattr(err, "errors", None)
    if callable(errors):
        parts = [
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in errors()
        ]
        detail = "; ".join(parts) or kind
    else:
        detail = _one_line(str(err))
    return Failure(
        code, f"invalid settings ({detail}); check the DATADAO_* environment and config.toml"
    )


def classify(
    err: BaseException, *, database_url: str | None = None, rpc_url: str | None = None
) -> Failure:
    """The exit code and the one line to print for ``err``.

    ``database_url`` (password already hidden) and ``rpc_url`` name the endpoints in messages
    about library errors that do not carry them.
    """
    if isinstance(err, KeyboardInterrupt):
        return Failure(ExitCode.INTERRUPTED, "interrupted; run the same command again to resume")
    if any(_qualname(c) == _CHAIN_UNAVAILABLE for c in type(err).__mro__):
        # its message embeds the transport's repr (MaxRetryError(HTTPConnectionPool(...)));
        # the URL and what to do are what a user needs
        return Failure(ExitCode.CHAIN, _chain_unavailable(getattr(err, "url", None) or rpc_url))
    if isinstance(err, DataDaoError):
        code = _code_of(err) or ExitCode.INTERNAL
        return Failure(code, _one_line(str(err)) or type(err).__name__)
    library = _library_of(err)
    if library is not None:
        return _foreign(err, library, database_url, rpc_url)
    if isinstance(err, OSError) and err.filename is not None:
        reason = err.strerror or errno.errorcode.get(err.errno or 0, type(err).__name__)
        return Failure(ExitCode.INPUT, f"cannot open {err.filename}: {reason}")
    if type(err).__name__ == "BadZipFile":
        return Failure(ExitCode.INPUT, f"not a readable zip archive: {_one_line(str(err))}")
    return Failure(
        ExitCode.INTERNAL,
        f"internal error: {type(err).__name__}: {_one_line(str(err))[:300]} (a bug: run again "
        "with -v for the traceback and report it)",
    )
