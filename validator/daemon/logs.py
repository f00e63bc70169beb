"""The daemon's logs: one JSON object per line, with ids and reasons, never plaintext or keys."""

from __future__ import annotations

import json
import logging

__all__ = ["JsonLogFormatter", "json_logging"]


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: message, level, logger and the ``extra`` fields (epoch, file
    id, state, tx, error class). Callers put ids and reasons in ``extra``, never plaintext or
    key material, so this formatter can print every field it is given."""

    _STD = frozenset(vars(logging.makeLogRecord({})))

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        out.update({k: v for k, v in vars(record).items() if k not in self._STD})
        return json.dumps(out, default=str, sort_keys=True)


def json_logging() -> None:
    """The daemon's logs: one JSON object per line on stderr (:class:`JsonLogFormatter`), and
    httpx's one line per share request kept out of them."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLogFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("httpx").setLevel(logging.WARNING)
