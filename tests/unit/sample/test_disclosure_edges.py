"""Disclosure control at its exact boundaries (each test kills mutants of docs/mutation-testing.md)."""

from __future__ import annotations

import hashlib
import hmac
import pickle

import numpy as np
import opendp.prelude as dp
import pytest

from synthcore.errors import InputError, PrivacyViolation
from synthcore.sample.disclosure import (
    DisclosurePolicy,
    DisclosureTally,
    protect_bin_sums,
    protect_percentile,
    round_counts,
)
from synthcore.sample.disclosure import protect_vector as vector
from synthcore.sample.keyed_ids import KEY_ENV, MIN_KEY_BYTES, AnonymizationKey, load_key
from synthcore.sample.noise import MAX_EPSILON, EpsilonLedger

POLICY = DisclosurePolicy(k=11, rounding=5)


def _vector(counts: list[float], users: list[int]) -> list[int | None]:
    return vector(np.array(counts), np.array(users), POLICY, DisclosureTally())


def test_the_secondary_partner_may_hold_a_single_item():
    assert _vector([100.0, 1.0, 50.0], [20, 20, 3]) == [100, None, None]


def test_a_two_cell_vector_losing_one_cell_loses_both():
    assert _vector([50.0, 40.0], [20, 3]) == [None, None]


def _sums(sums: list[float], counts: list[float], edges: tuple[float, ...], users: int = 30) -> list[int | None]:
    n = len(sums)
    return protect_bin_sums(np.array(sums), np.array(counts), np.full(n, users), edges, POLICY, DisclosureTally())


def test_a_bin_the_dominance_rule_allows_still_needs_k_users():
    # bin [10, 20) with 100 items is bounded (40 <= 0.67 * 1000), but only 3 users contribute
    assert _sums([0.0, 0.0, 1500.0, 0.0], [0.0, 0.0, 100.0, 0.0], (0, 1, 10, 20), users=3) == [None] * 4


@pytest.mark.parametrize("edges", [(0, 10, 100, 1000), (0, 2, 100, 1000)])
def test_a_first_bin_that_admits_non_zero_items_is_not_all_zero(edges):
    # [0, 10) or [0, 2) may hold one dominant item; bins 1 and 2 are bounded, the top bin is open
    assert _sums([30.0, 9000.0, 90000.0, 5.0], [20.0, 90.0, 90.0, 0.0], edges)[0] is None


def test_the_67_percent_rule_is_applied_at_its_exact_bound():
    # bin [10, 20), 5 items: sum >= 50, one item < 20 <= 25 (50% holds), two items < 40 > 33.5 (67% fails)
    assert _sums([0.0, 60.0, 0.0, 0.0], [0.0, 5.0, 0.0, 0.0], (0, 10, 20, 30))[1] is None
    # bin [100, 134): 2 * 134 == 0.67 * 400 exactly, so the bound holds
    assert _sums([0.0, 450.0, 0.0, 0.0], [0.0, 4.0, 0.0, 0.0], (0, 100, 134, 200))[1] == 450


def test_fractional_edges_are_bounded_like_integer_ones():
    # bin [0.1, 0.2) with 10 items: sum >= 1.0, two items < 0.4 <= 0.67
    assert _sums([0.0, 1.5, 0.0, 0.0], [0.0, 10.0, 0.0, 0.0], (0, 0.1, 0.2, 0.3))[1] == 0


EDGES = (0.0, 1.0, 2.0, 5.0, 10.0)


def test_percentile_tally_counts_every_decision():
    tally = DisclosureTally()
    users = np.array([11, 11, 11, 11, 11])
    results = [protect_percentile(v, users, EDGES, POLICY, tally) for v in (None, float("inf"), 3.0, 1.5, 12.0)]
    assert results == [None, None, 3.0, 1.5, None]
    assert (tally.percentiles_withheld, tally.percentiles_published) == (3, 2)


def test_percentile_on_an_edge_belongs_to_the_bin_above_it():
    # 2.0 lies in [2, 5): 11 users below (bin [1, 2)) and above (bin [5, 10)); taken as [1, 2) it would have none below
    assert protect_percentile(2.0, np.array([0, 11, 0, 11, 0]), EDGES, POLICY, DisclosureTally()) == 2.0


def test_percentile_in_the_first_bin_has_nobody_below():
    assert protect_percentile(0.5, np.array([50, 50, 50, 50, 50]), EDGES, POLICY, DisclosureTally()) is None


def test_percentile_with_exactly_k_users_on_each_side_is_published():
    assert protect_percentile(3.0, np.array([0, 11, 40, 11, 0]), EDGES, POLICY, DisclosureTally()) == 3.0


def test_a_percentile_below_one_is_kept():
    edges = (0.0, 0.25, 1.0, 2.0, 3.0)
    assert protect_percentile(0.5, np.array([11, 0, 11, 0, 0]), edges, POLICY, DisclosureTally()) == 0.5


def test_the_largest_epsilon_is_accepted_and_every_release_records_its_sensitivity():
    ledger = EpsilonLedger(epsilon=MAX_EPSILON, releases=2)
    ledger.noise("a", np.full(3, 100.0), sensitivity=2)
    ledger.noise("b", np.full(3, 100.0), sensitivity=1)
    assert [(e.metric, e.sensitivity) for e in ledger.entries] == [("a", 2), ("b", 1)]


def test_noise_enables_the_opendp_features_it_needs():
    dp.disable_features("contrib")
    assert EpsilonLedger(epsilon=1.0, releases=1).noise("a", np.full(4, 100.0), sensitivity=1).size == 4


def test_a_key_of_exactly_the_minimum_length_is_accepted_and_a_shorter_one_is_explained():
    assert AnonymizationKey(b"k" * MIN_KEY_BYTES).fingerprint().startswith("hmac-sha256:")
    with pytest.raises(PrivacyViolation, match=r"\(generate one with: openssl rand -hex 32\)$"):
        AnonymizationKey(b"k" * (MIN_KEY_BYTES - 1))
    with pytest.raises(TypeError, match=r"^AnonymizationKey cannot be pickled$"):
        pickle.dumps(AnonymizationKey(b"k" * MIN_KEY_BYTES))


def test_the_fingerprint_is_the_hmac_of_its_fixed_label():
    key = b"0123456789abcdef0123456789abcdef"
    expected = hmac.new(key, b"synthdata:key-fingerprint:v1", hashlib.sha256).hexdigest()[:16]
    assert AnonymizationKey(key).fingerprint() == f"hmac-sha256:{expected}"


def test_the_key_is_read_from_the_process_environment(monkeypatch):
    key = "0123456789abcdef0123456789abcdef"
    monkeypatch.setenv(KEY_ENV, key)
    assert load_key().fingerprint() == AnonymizationKey(key.encode()).fingerprint()


@pytest.mark.parametrize(("kwargs", "valid"), [
    ({"k": 2}, True), ({"k": 1000}, True), ({"k": 1}, False), ({"k": 1001}, False),
    ({"rounding": 1000}, True), ({"rounding": 1005}, False),
])  # fmt: skip
def test_policy_bounds_are_inclusive(kwargs, valid):
    if valid:
        assert DisclosurePolicy(**kwargs)
    else:
        with pytest.raises(InputError, match="must be"):
            DisclosurePolicy(**kwargs)


def test_rounded_counts_are_integers():
    rounded = round_counts(np.array([0.0, 2.0, 3.0, 7.4, -4.0]), 5)
    assert rounded.dtype == np.int64 and rounded.tolist() == [0, 0, 5, 5, 0]


def test_the_tally_accumulates_over_vectors():
    tally = DisclosureTally()
    for _ in range(2):
        vector(np.array([300.0, 12.0, 90.0]), np.array([40, 2, 30]), POLICY, tally)
    assert (tally.published, tally.suppressed, tally.secondary_suppressed) == (2, 4, 2)
