"""The embedded default dataset: procedural emotional speech that knows its own answers."""

from bsbench_plugins.datasets.synthetic.corpus import SyntheticDataset

__all__ = ["SyntheticDataset"]
