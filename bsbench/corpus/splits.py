"""Whole groups of clips to one split: speaker-independent (or word-disjoint) by construction.

A split that shares a speaker between training and test measures how well a model
recognises that speaker, not the emotion. Assigning whole groups makes a leak impossible
rather than something to check afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from bsbench.core.errors import UsageError


class TooFewGroups(UsageError):
    """Too few speakers (or words) to hold some out for testing and validation and still train."""


def group_splits(
    groups: Iterable[str],
    seed: int,
    test_fraction: float,
    validation_fraction: float,
    *,
    owner: str = "dataset",
    unit: str = "groups",
) -> dict[str, str]:
    """Group -> split, drawn with ``seed``: at least one group each in test and validation.

    Fractions are of groups, not clips (groups are near equal in size in every corpus here).
    ``owner`` and ``unit`` ("speakers", "words") name the dataset and the group in errors.
    """
    names = sorted(set(groups))
    for option, value in (("test_fraction", test_fraction), ("validation_fraction", validation_fraction)):
        if not 0.0 < value < 1.0:
            raise UsageError(f"{owner}: option {option}={value!r}: must be between 0 and 1")
    n_test = max(1, round(test_fraction * len(names)))
    n_validation = max(1, round(validation_fraction * len(names)))
    if n_test + n_validation >= len(names):
        raise TooFewGroups(
            f"{owner}: {len(names)} {unit} cannot give {n_test} to test, {n_validation} to validation "
            "and keep any for training; a speaker-independent split needs at least 3"
        )
    order = np.random.default_rng(seed).permutation(len(names))
    split_of = {}
    for rank, index in enumerate(order):
        split_of[names[index]] = "test" if rank < n_test else "validation" if rank < n_test + n_validation else "train"
    return split_of
