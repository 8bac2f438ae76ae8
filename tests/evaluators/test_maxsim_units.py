"""The tiling of `pytest_mieb.metrics.maxsim`, below its public functions: how documents are
grouped into similarity blocks within `block_elements`, how queries are cut into tiles, and
where the padded tensors live. Scores themselves are tested in test_maxsim.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pytest_mieb.embed.multivector import MultiVectors
from pytest_mieb.metrics.maxsim import _pad, _Scorer, maxsim_scores, maxsim_top_k

CPU = torch.device("cpu")


def docs_of_lengths(lengths: list[int], dim: int = 2) -> MultiVectors:
    return MultiVectors.from_items([np.ones((n, dim), np.float32) for n in lengths], dim=dim)


def partition(scorer: _Scorer, n: int, q_rows: int) -> list[tuple[int, int]]:
    blocks, pos = [], 0
    while pos < n:
        stop = scorer._block_end(pos, n, q_rows)
        blocks.append((pos, stop))
        pos = stop
    return blocks


@pytest.mark.parametrize(
    ("lengths", "block_elements", "q_rows", "want"),
    [
        # budget 5 // 1 = 5 floats per query row: 2 x 5 > 5, then 2 x max(2, 2) = 4 fits
        ([5, 2, 2], 5, 1, [(0, 1), (1, 3)]),
        # budget 12 // 2 = 6: 2 x 3 = 6 fits exactly; empty documents cost nothing
        ([3, 1, 2, 4, 0, 0, 5], 12, 2, [(0, 2), (2, 3), (3, 4), (4, 6), (6, 7)]),
        # budget 1: two one-token documents are 2 floats, over it
        ([1, 1], 1, 1, [(0, 1), (1, 2)]),
        # a run of empty documents is one block, whatever the budget
        ([0, 0, 0], 1, 1, [(0, 3)]),
        # budget 3 // 4 = 0: never fits, so one document per block
        ([1, 1, 1], 3, 4, [(0, 1), (1, 2), (2, 3)]),
    ],
)
def test_document_blocks_are_the_longest_runs_within_block_elements(
    lengths, block_elements, q_rows, want
) -> None:
    """Module docstring: a tile is compared with as many documents as keep (query tokens x
    padded document tokens) within `block_elements` floats; a document that alone is over
    the budget is a block of its own."""
    scorer = _Scorer(docs_of_lengths(lengths), None, CPU, block_elements)
    assert partition(scorer, len(lengths), q_rows) == want


def spy_on(monkeypatch: pytest.MonkeyPatch, name: str, record) -> list:
    """Calls of `_Scorer.<name>`, each as `record(*args)` returns it."""
    seen: list = []
    real = getattr(_Scorer, name)

    def spy(self, *args):
        seen.append(record(*args))
        return real(self, *args)

    monkeypatch.setattr(_Scorer, name, spy)
    return seen


def test_blocks_are_sized_by_the_query_rows_of_the_tile(monkeypatch) -> None:
    blocks = spy_on(monkeypatch, "_block", lambda q, pos, stop: (pos, stop))
    one_token = MultiVectors.from_items([np.ones((1, 2), np.float32)])
    docs = docs_of_lengths([1, 1, 1, 1])
    scores = maxsim_scores(one_token, docs, block_elements=2)  # 1 query row: 2 documents
    assert blocks == [(0, 2), (2, 4)]
    np.testing.assert_array_equal(scores, [[2.0, 2.0, 2.0, 2.0]])
    blocks.clear()
    two_by_two = MultiVectors.from_items([np.ones((2, 2), np.float32)] * 2)
    maxsim_scores(two_by_two, docs, block_elements=8)  # 4 query rows: 2 documents
    assert blocks == [(0, 2), (2, 4)]


def test_each_query_is_scored_once_in_tiles_of_query_chunk(monkeypatch) -> None:
    tiles = spy_on(monkeypatch, "query_tile", lambda queries, width: len(queries))
    rng = np.random.default_rng(0)
    queries = MultiVectors.from_items(
        [rng.standard_normal((int(n), 2)).astype(np.float32) for n in rng.integers(1, 4, 130)]
    )
    docs = docs_of_lengths([1, 2, 3])
    maxsim_top_k(queries[:9], docs, 2, query_chunk=4)
    assert tiles == [4, 4, 1]
    tiles.clear()
    maxsim_scores(queries, docs)  # tiles of the module's 64
    assert tiles == [64, 64, 2]


def test_padding_is_built_on_the_device_asked_for() -> None:
    items = MultiVectors.from_items(
        [np.arange(6, dtype=np.float32).reshape(2, 3), np.ones((1, 3), np.float32)]
    )
    meta = torch.device("meta")  # a device other than the CPU, present on every machine
    out, mask = _pad(items, meta)
    assert out.device == meta and mask.device == meta
    assert out.shape == (2, 2, 3) and mask.shape == (2, 2)
    out, mask = _pad(items, CPU, width=4)
    assert mask.tolist() == [[True, True, False, False], [True, False, False, False]]
    want = np.zeros((2, 4, 3), np.float32)
    want[0, :2] = np.arange(6).reshape(2, 3)
    want[1, 0] = 1.0
    np.testing.assert_array_equal(out.numpy(), want)
    assert out.dtype == torch.float32
