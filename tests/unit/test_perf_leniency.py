from decimal import Decimal

import pytest

from dingperf.perf.errors import ValidationError
from dingperf.perf.leniency import leniency, stats

D = Decimal


def test_population_stats_in_decimal():
    s = stats([D(2), D(4), D(4), D(4), D(5), D(5), D(7), D(9)])
    assert (s.count, s.mean, s.stdev) == (8, D(5), D(2))


def test_z_score_of_a_managers_mean_uses_the_standard_error():
    company, managers = leniency({"soft": [D(9), D(9), D(7), D(7)], "hard": [D(1), D(2), D(2), D(3)],
                                  "mid": [D(4), D(5), D(5)]})
    by = {m.manager: m for m in managers}
    assert by["soft"].gap == D(8) - company.mean
    expected = by["soft"].gap / (company.stdev / D(4).sqrt())
    assert by["soft"].z == expected
    assert by["soft"].flag == "lenient" and by["hard"].flag == "harsh"
    assert managers[0].manager == "soft"


def test_identical_scores_give_zero_z_not_a_division_error():
    _, managers = leniency({"a": [D(80)], "b": [D(80)]})
    assert all(m.z == 0 for m in managers)


def test_no_scores_is_an_error():
    with pytest.raises(ValidationError, match="no scores"):
        leniency({})
