"""The clustered spread of message-level shares, computed in DuckDB, equals the ratio estimator's by hand."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from synthcore.errors import InputError
from synthcore.fidelity.observe import observe_scalar, observe_share_spread


def _spread(num: np.ndarray, den: np.ndarray) -> float:
    k, rate = num.size, num.sum() / den.sum()
    return float(np.sqrt(((num - rate * den) ** 2).sum() * k / (k - 1)) / den.sum())


def test_read_rate_and_reply_share_spread_by_conversation() -> None:
    con = duckdb.connect()
    # conversation 1: 3 messages, 5 receipts; 2: 1 message, 0 receipts; 3: 2 messages, 4 receipts; 4: no messages
    con.execute(
        "CREATE TEMP TABLE s_per_conversation AS SELECT * FROM (VALUES (1, 3), (2, 1), (3, 2), (4, 0)) t(id, messages)"
    )
    con.execute(
        """CREATE TEMP TABLE s_messages AS SELECT * FROM (VALUES (10, 1, true), (11, 1, false), (12, 1, false),
           (20, 2, true), (30, 3, true), (31, 3, true)) t(id, conv, is_reply)"""
    )
    con.execute(
        "CREATE TEMP TABLE s_receipts AS SELECT * FROM (VALUES (10), (10), (11), (12), (12), (30), (30), (31), (31))"
        " t(message)"
    )
    se, k, effective = observe_share_spread(con, "read_rate")
    assert k == 3 and se == pytest.approx(_spread(np.array([5, 0, 4]), np.array([3, 1, 2])))
    assert effective == pytest.approx(6**2 / (9 + 1 + 4))  # Kish: (sum of sizes)^2 / sum of squared sizes
    se, k, _ = observe_share_spread(con, "reply_share")
    assert k == 3 and se == pytest.approx(_spread(np.array([1, 1, 2]), np.array([3, 1, 2])))
    with pytest.raises(InputError, match="unknown clustered share 'nope'"):
        observe_share_spread(con, "nope")


def test_the_same_conversations_in_any_order_give_the_same_bits() -> None:
    rng = np.random.default_rng(7)
    conv = rng.integers(0, 50_000, 400_000)
    reply = rng.random(conv.size) < 0.1
    spreads = set()
    for order in range(3):
        con = duckdb.connect(config={"threads": 4})
        rows = np.random.default_rng(order).permutation(conv.size)
        messages = pa.table({"conv": conv[rows], "is_reply": reply[rows]})
        con.register("messages", messages)
        con.execute("CREATE TEMP TABLE s_messages AS SELECT * FROM messages")
        spreads.add(observe_share_spread(con, "reply_share"))
    assert len(spreads) == 1, spreads


def test_direct_read_rate_counts_each_message_read_by_its_other_member_once() -> None:
    con = duckdb.connect()
    # direct conversation 1: message 10 read twice by the other member, 11 only by its sender, 12 unread;
    # direct conversation 2: message 20 read once; group conversation 3: message 30 read (not counted)
    con.execute(
        """CREATE TEMP TABLE s_messages AS SELECT * FROM (VALUES (10, 1, 'DIRECT'), (11, 1, 'DIRECT'),
           (12, 1, 'DIRECT'), (20, 2, 'DIRECT'), (30, 3, 'GROUP')) t(id, conv, conv_type)"""
    )
    con.execute(
        """CREATE TEMP TABLE s_receipts AS SELECT * FROM (VALUES (10, true, 'DIRECT'), (10, true, 'DIRECT'),
           (11, false, 'DIRECT'), (20, true, 'DIRECT'), (30, true, 'GROUP')) t(message, by_other, conv_type)"""
    )
    assert observe_scalar(con, "direct_read_rate") == pytest.approx(2 / 4)
    se, k, _ = observe_share_spread(con, "direct_read_rate")
    assert k == 2 and se == pytest.approx(_spread(np.array([1, 1]), np.array([3, 1])))
