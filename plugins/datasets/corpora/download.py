"""Fetching a corpus through kagglehub when it is installed and the network allows.

Licences differ per corpus and most require accepting terms on the host's site, so
bsbench never bundles or mirrors data: it asks kagglehub (the user's own Kaggle
credentials) or says in one line where to get the files by hand.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from bsbench_plugins.datasets.corpora.formats import CorpusFormat

from bsbench.plugin import DataError


def manual_route(corpus_format: CorpusFormat) -> str:
    """Where a person gets the files, and where bsbench will look for them."""
    source = (
        f"https://www.kaggle.com/datasets/{corpus_format.kaggle}" if corpus_format.kaggle else corpus_format.homepage
    )
    return (
        f"download {corpus_format.name} from {source}, unpack it, and pass --data-dir to the folder "
        f"(or unpack it into $BSBENCH_DATA/{corpus_format.name}); expected: {corpus_format.layout}"
    )


def download_corpus(corpus_format: CorpusFormat) -> Path:
    """The local folder kagglehub unpacked the corpus into; one-line DataError when it cannot."""
    if corpus_format.kaggle is None:
        raise DataError(f"dataset {corpus_format.name} is not on Kaggle: {manual_route(corpus_format)}")
    try:
        kagglehub = importlib.import_module("kagglehub")
    except ImportError:
        raise DataError(
            f"kagglehub is not installed (pip install 'bsbench[download]'); or {manual_route(corpus_format)}"
        ) from None
    try:
        return Path(kagglehub.dataset_download(corpus_format.kaggle))
    except Exception as error:  # kagglehub raises network, auth and HTTP errors of many types
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(
            f"kagglehub could not fetch {corpus_format.kaggle} ({reason}); {manual_route(corpus_format)}"
        ) from error
