"""The nutrition label (issue #18) states each contributor's standard error, the transfer check
and every flag's reason in words, in the text label, the JSON and the PNG's inputs."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from validator.valuation.backends import LocalBackend
from validator.valuation.pipeline import value_epoch
from validator.valuation.report import (
    BARS_UP_TO,
    label_text,
    plot_values,
    report_dict,
    write_report,
)

CPU = LocalBackend("cpu", threads=1)


def test_label_states_stderr_transfer_and_flag_reasons(  # type: ignore[no-untyped-def]
    chat_task, ngram_spec, seed, tmp_path: Path
) -> None:
    contribs, val, pool, _ = chat_task
    res = value_epoch(ngram_spec, contribs, val, pool, seed, CPU)
    assert res.transfer_rho is not None
    assert -1.0 <= res.transfer_rho <= 1.0
    text = label_text(res)
    for c in res.contributors:
        if c.flags:
            for f in c.flags:
                assert f in text
        else:
            assert f"± {c.stderr:.4f} (standard error)" in text
    assert f"rank correlation {res.transfer_rho:.3f}" in text
    assert "validation_overlap" in text  # the validation copy's reason, in words
    write_report(res, tmp_path)
    doc = json.loads((tmp_path / "report.json").read_text())
    assert doc["transfer_check"]["spearman"] == res.transfer_rho
    assert all("stderr" in c for c in doc["contributors"])
    assert (tmp_path / "label.txt").read_text() == text
    assert (tmp_path / "label.png").stat().st_size > 0


def test_an_unknown_stderr_does_not_break_the_json(chat_task, ngram_spec, seed) -> None:  # type: ignore[no-untyped-def]
    contribs, val, pool, _ = chat_task
    res = value_epoch(ngram_spec, contribs, val, pool, seed, CPU)
    res = dataclasses.replace(res, predicted_l1=float("inf"))
    doc = report_dict(res)
    assert doc["predicted_seed_l1"] is None
    json.dumps(doc, allow_nan=False)


def test_no_transfer_figure_for_a_classifier(digits_task, digits_spec, seed) -> None:  # type: ignore[no-untyped-def]
    contribs, val, _ = digits_task(n=4, per=20, n_val=60)
    res = value_epoch(dataclasses.replace(digits_spec, n_models=8), contribs, val, [], seed, CPU)
    assert res.transfer_rho is None
    assert "not run" in label_text(res)


def test_a_large_epoch_is_plotted_by_rank_not_one_named_bar_each(  # type: ignore[no-untyped-def]
    chat_task, ngram_spec, seed, tmp_path: Path
) -> None:
    # 10,000 named bars took matplotlib ~10 minutes of text layout and held the daemon's
    # commit back; past BARS_UP_TO contributors the panel plots values in rank order.
    from matplotlib.figure import Figure

    contribs, val, pool, _ = chat_task
    res = value_epoch(ngram_spec, contribs, val, pool, seed, CPU)
    many = dataclasses.replace(
        res, contributors=res.contributors * (BARS_UP_TO // len(res.contributors) + 2)
    )
    for result, named in ((res, True), (many, False)):
        ax = Figure().subplots()
        plot_values(ax, result)
        labels = {t.get_text() for t in ax.get_xticklabels()}
        assert (res.contributors[0].contributor in labels) == named
        assert len(ax.get_xticks()) <= max(len(res.contributors), 20)
    write_report(many, tmp_path)
    assert (tmp_path / "label.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
