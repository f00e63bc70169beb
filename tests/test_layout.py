"""Guards on the install itself: PyPI has unrelated `node` and `validator` distributions."""

from __future__ import annotations

from pathlib import Path

import node
import validator

REPO = Path(__file__).resolve().parents[1]


def test_import_packages_are_this_repository() -> None:
    assert Path(node.__file__).resolve().is_relative_to(REPO)
    assert Path(validator.__file__).resolve().is_relative_to(REPO)


def test_error_tree_has_one_root() -> None:
    from node import errors

    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.DataDaoError)
