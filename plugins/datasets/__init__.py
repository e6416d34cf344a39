"""Built-in dataset plugins (synthetic, the published corpora, any labelled folder).

The synthetic corpus's emotion table is registered as an expert profile too.
"""

from bsbench_plugins.datasets.corpora import FORMATS, FolderDataset, NamedCorpusDataset
from bsbench_plugins.datasets.synthetic import SyntheticDataset
from bsbench_plugins.datasets.synthetic.emotions import load_emotion_table

from bsbench.plugin import hookimpl


@hookimpl
def bsbench_register_datasets(register):
    register(SyntheticDataset())
    for corpus_format in FORMATS:
        register(NamedCorpusDataset(corpus_format))
    register(FolderDataset())


@hookimpl
def bsbench_register_expert_profiles(register):
    # The answer key of the synthetic classes: plausibility metrics can score against
    # exactly the directions the clips were generated with.
    register(load_emotion_table().as_profile())
