"""Built-in dataset plugins, and the synthetic corpus's emotion table as an expert profile."""

from bsbench_plugins.datasets.synthetic import SyntheticDataset
from bsbench_plugins.datasets.synthetic.emotions import load_emotion_table

from bsbench.hookspecs import hookimpl


@hookimpl
def bsbench_register_datasets(register):
    register(SyntheticDataset())


@hookimpl
def bsbench_register_expert_profiles(register):
    # The answer key of the synthetic classes: plausibility metrics can score against
    # exactly the directions the clips were generated with.
    register(load_emotion_table().as_profile())
