"""The rubric arithmetic: 1..5 -> 0..100, not-observed left out, ranks and trends."""
import pytest

from community.shopper import rubric


def test_points_map_one_to_five_onto_zero_to_hundred():
    assert [rubric.points(s) for s in (1, 2, 3, 4, 5)] == [0, 25, 50, 75, 100]
    with pytest.raises(ValueError):
        rubric.points(0)
    with pytest.raises(ValueError):
        rubric.points(6)


def test_report_score_is_the_mean_of_observed_lines():
    assert rubric.report_score([5, 3]) == 75.0
    assert rubric.report_score([4, None, None, 2]) == 50.0  # not observed neither raises nor lowers
    assert rubric.report_score([1, 2, 2]) == pytest.approx(16.67, abs=0.01)


def test_a_report_with_nothing_observed_has_no_score():
    assert rubric.report_score([None, None]) is None
    assert rubric.report_score([]) is None


def test_findings_are_low_scores_or_issue_marks():
    assert rubric.is_finding(1, False) and rubric.is_finding(2, False)
    assert not rubric.is_finding(3, False) and not rubric.is_finding(None, False)
    assert rubric.is_finding(5, True) and rubric.is_finding(None, True)


def test_trend_compares_the_last_two_scored_months():
    assert rubric.trend([None, 40.0, None, 55.5, None]) == 15.5
    assert rubric.trend([80.0, 60.0]) == -20.0
    assert rubric.trend([None, 70.0]) is None


def test_ranks_share_ties_and_skip_unscored():
    assert rubric.ranks({"a": 80.0, "b": 90.0, "c": 80.0, "d": 10.0, "e": None}) == {"b": 1, "a": 2, "c": 2, "d": 4}


def test_mean_ignores_missing_values():
    assert rubric.mean([50.0, None, 100.0]) == 75.0
    assert rubric.mean([None]) is None
