"""The threat benchmark runs at a tiny scale and reports each figure beside its reference."""

from __future__ import annotations

from pathlib import Path

from bench.bench_threats import generated_messages, run


def test_the_threat_bench_reports_quality_and_speed_against_the_old_lexicon(tmp_path: Path) -> None:
    numbers = run(tmp_path, n=3000)
    held = numbers["quality"]["heldout"]
    assert held["occasion_recall"] >= 0.9 and held["old_lexicon_occasion_recall"] < held["occasion_recall"]
    speed = numbers["speed"]
    assert speed["messages"] == 3000 and speed["speed_path_equals_plain_rule_on_slice"] is True
    assert speed["rules_messages_per_s"] > 0 and speed["old_lexicon_messages_per_s"] > 0
    assert 0 < speed["screen_pass_rate"] < 1


def test_the_generated_case_is_deterministic_and_mostly_distinct() -> None:
    a, b = generated_messages(2000), generated_messages(2000)
    assert a == b and len(set(a)) > 1500
