"""Fixtures of the training suites: the bundled digits data, loaded once."""

import pytest

from zkfed.datasets import Dataset, load_dataset


@pytest.fixture(scope="session")
def digits() -> Dataset:
    """scikit-learn's bundled digits, split and standardised with the default seed."""
    return load_dataset("digits")
