"""Disclosure control: k-user suppression, secondary suppression, rounding, guarded percentiles."""

from __future__ import annotations

import numpy as np
import pytest

from synthcore.errors import InputError
from synthcore.sample.disclosure import (
    DisclosurePolicy,
    DisclosureTally,
    protect_bin_sums,
    protect_percentile,
    protect_vector,
    round_counts,
)

POLICY = DisclosurePolicy(k=11, rounding=5)


def test_round_counts_half_up_to_multiple():
    assert round_counts(np.array([0, 2, 3, 7, 12.6, -4]), 5).tolist() == [0, 0, 5, 5, 15, 0]
    assert round_counts(np.array([149, 150, 151]), 100).tolist() == [100, 200, 200]


def test_cells_with_fewer_than_k_users_are_suppressed_and_others_rounded():
    tally = DisclosureTally()
    published = protect_vector(np.array([500.0, 40.0, 1003.0, 7.0]), np.array([50, 10, 11, 3]), POLICY, tally)
    assert published == [500, None, 1005, None]
    assert (tally.published, tally.suppressed, tally.secondary_suppressed) == (2, 2, 0)


def test_a_single_suppressed_cell_takes_the_smallest_published_one_with_it():
    tally = DisclosureTally()
    published = protect_vector(np.array([300.0, 12.0, 90.0, 400.0]), np.array([40, 2, 30, 60]), POLICY, tally)
    assert published == [300, None, None, 400]
    assert (tally.suppressed, tally.secondary_suppressed) == (2, 1)


def test_single_cell_vector_has_no_secondary_suppression():
    tally = DisclosureTally()
    assert protect_vector(np.array([12.0]), np.array([3]), POLICY, tally) == [None]
    assert tally.secondary_suppressed == 0


EDGES = (0, 1, 2, 5, 10, 100)


def test_percentile_needs_k_users_below_and_above_its_bin():
    tally = DisclosureTally()
    users = np.array([20, 15, 30, 12, 11, 40])
    assert protect_percentile(3.14159, users, EDGES, POLICY, tally) == 3.14
    assert protect_percentile(1.5, np.array([5, 20, 30, 3, 2, 1]), EDGES, POLICY, tally) is None
    assert protect_percentile(7.0, np.array([20, 20, 30, 40, 1, 10]), EDGES, POLICY, tally) is None
    assert (tally.percentiles_published, tally.percentiles_withheld) == (1, 2)


def test_percentile_in_the_open_top_bin_is_withheld():
    tally = DisclosureTally()
    assert protect_percentile(250.0, np.array([20, 20, 20, 20, 20, 20]), EDGES, POLICY, tally) is None
    wide = (0, 10, 1000, 10**6)
    assert protect_percentile(123456.0, np.array([20, 20, 20, 20]), wide, POLICY, tally) == 123000.0
    assert protect_percentile(None, np.array([20, 20, 20, 20]), wide, POLICY, tally) is None
    assert protect_percentile(float("nan"), np.array([20, 20, 20, 20]), wide, POLICY, tally) is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k": 1}, r"k must be between 2 and 1000 \(got 1\)"),
        ({"rounding": 7}, r"rounding must be a multiple of 5 up to 1000 \(got 7\)"),
        ({"rounding": 0}, r"rounding must be a multiple of 5 up to 1000 \(got 0\)"),
    ],
)
def test_bad_policy_is_rejected(kwargs, match):
    with pytest.raises(InputError, match=match):
        DisclosurePolicy(**kwargs)


def test_bin_sums_need_enough_items_to_rule_out_dominance():
    edges = (0, 1, 10, 13, 16)
    counts = np.array([50.0, 3.0, 2.0, 4.0, 40.0])
    sums = np.array([0.0, 20.0, 23.0, 46.0, 900.0])
    tally = DisclosureTally()
    published = protect_bin_sums(sums, counts, np.full(5, 30), edges, POLICY, tally)
    # [0,1): all zero; [1,10): 3 items could hold 9 of 20; [10,13): 2 items; [13,16): 4 items, largest < 16 <= 26;
    # open top bin: unbounded.
    assert published == [0, None, None, 45, None]
    assert (tally.published, tally.suppressed) == (2, 3)


def test_a_single_dominance_suppression_gets_a_secondary_one():
    edges = (0, 1, 10)
    tally = DisclosureTally()
    published = protect_bin_sums(
        np.array([0.0, 500.0, 9000.0]), np.array([5.0, 100.0, 2.0]), np.full(3, 30), edges, POLICY, tally
    )
    assert published == [0, None, None] and tally.secondary_suppressed == 1
