"""Datasets read from disk: the published corpora by file name, and any labelled folder."""

from bsbench_plugins.datasets.corpora.folder import FolderDataset
from bsbench_plugins.datasets.corpora.formats import FORMATS
from bsbench_plugins.datasets.corpora.named_corpus import NamedCorpusDataset

__all__ = ["FORMATS", "FolderDataset", "NamedCorpusDataset"]
