import numpy as np
import pytest

from synthcore.errors import ChunkOutOfRange, InputError
from synthcore.generate.plan import DIRECT, LARGE_GROUP, SMALL_GROUP, build_plan
from synthcore.spec.bands import Band, resolve_counts
from synthcore.spec.distribution import DistributionSpec
from synthcore.spec.io import DEFAULT_SPEC_PATH, load_model

SPEC = load_model(DistributionSpec, DEFAULT_SPEC_PATH)


@pytest.mark.parametrize("band", [Band.CI, Band.DEV])
def test_plan_hits_counts_exactly(band):
    counts = resolve_counts(band)
    plan = build_plan(SPEC, counts, "s1")
    assert plan.messages.sum() == counts.messages and plan.messages.min() >= 1
    assert plan.members[plan.kinds == DIRECT].tolist() == [2] * int((plan.kinds == DIRECT).sum())
    small = plan.members[plan.kinds == SMALL_GROUP]
    large = plan.members[plan.kinds == LARGE_GROUP]
    assert small.min() >= 3 and small.max() <= 20 and large.min() >= 21 and large.max() <= 256
    heavy = plan.messages[plan.heavy]
    assert heavy.sum() == plan.effective["heavy_messages"] and (heavy >= 10_000).all()


@pytest.mark.parametrize("chunks", [1, 2, 7, 24])
def test_chunks_cover_every_block_once(chunks):
    plan = build_plan(SPEC, resolve_counts(Band.CI), "s1")
    conv, users = zip(*(plan.chunk_blocks(c, chunks) for c in range(chunks)), strict=True)
    assert [b for r in conv for b in r] == list(range(plan.conversation_blocks))
    assert [b for r in users for b in r] == list(range(plan.user_blocks))
    assert all(len(r) > 0 for r in conv)


def test_bad_chunking_is_named():
    plan = build_plan(SPEC, resolve_counts(Band.CI), "s1")
    with pytest.raises(ChunkOutOfRange, match=r"chunk 7 is out of range: valid chunks are 0..6 \(of 7\)"):
        plan.chunk_blocks(7, 7)
    with pytest.raises(InputError, match="--chunks must be between 1 and 24"):
        plan.chunk_blocks(0, 25)


def test_counts_validation():
    with pytest.raises(InputError, match=r"messages \(10\) must be at least conversations \(20\)"):
        resolve_counts(Band.CI, conversations=20, messages=10)
    with pytest.raises(InputError, match=r"--users 0: Input should be greater than or equal to 2"):
        resolve_counts(Band.CI, users=0)


def test_seeds_differ():
    a = build_plan(SPEC, resolve_counts(Band.CI), "s1").messages
    b = build_plan(SPEC, resolve_counts(Band.CI), "s2").messages
    assert not np.array_equal(a, b)
