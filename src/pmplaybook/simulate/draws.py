"""Small random and counting helpers shared by the simulation.

Every random draw goes through the one ``numpy.random.Generator`` passed in as ``rng``; the order of the
calls decides the output, so reordering draws anywhere changes the generated sample.
"""

from __future__ import annotations

import numpy as np


def _cat(rng, probs, size):
    """``size`` draws from a categorical distribution (one probability vector)."""
    probs = np.asarray(probs, float)
    return np.minimum(np.searchsorted(np.cumsum(probs / probs.sum()), rng.random(size), side="right"),
                      len(probs) - 1)


def _cat_rows(rng, probs):
    """One categorical draw per row of ``probs`` (rows sum to 1)."""
    cum = np.cumsum(probs, axis=1)
    return (rng.random(len(probs))[:, None] * cum[:, -1:] >= cum[:, :-1]).sum(axis=1)


def _within(counts):
    """For groups of sizes ``counts`` laid out one after another: index of each item in its group.

    >>> _within([2, 0, 3]).tolist()
    [0, 1, 0, 1, 2]
    """
    counts = np.asarray(counts, np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(counts.sum(), dtype=np.int64) - np.repeat(starts, counts)


def _repeat(n_items, counts):
    """Item index i repeated ``counts[i]`` times: the owner of each unit laid out item by item.

    >>> _repeat(3, [2, 0, 3]).tolist()
    [0, 0, 2, 2, 2]
    """
    return np.repeat(np.arange(n_items, dtype=np.int64), counts)


def _lognormal(rng, median, sigma, size):
    """``size`` log-normal draws with the given median(s) and log-scale ``sigma``."""
    return np.exp(np.log(median) + sigma * rng.standard_normal(size))


def _stratified_uniforms(rng, group, t, block: int = 20):
    """Uniform numbers for outcome draws, stratified in blocks of ``block`` consecutive items (by
    ``group``, then time): each block holds one value from each 1/block slice of [0, 1), in random
    order. Every item is still a coin toss, but a rate over any period or platform lands within a
    fraction of a point of its true value, so "unchanged" workflows read as unchanged."""
    n = len(t)
    order = np.lexsort((t, group))
    blk = np.arange(n) // block
    sizes = np.bincount(blk) if n else np.zeros(0, np.int64)
    shuffled = np.lexsort((rng.random(n), blk))          # random order inside each block
    rank = np.empty(n, np.int64)
    rank[shuffled] = _within(sizes)
    u = np.empty(n)
    u[order] = (rank + rng.random(n)) / sizes[blk]
    return u
