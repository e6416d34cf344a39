"""Built-in dataset plugins."""

from bsbench_plugins.datasets.synthetic import SyntheticDataset

from bsbench.hookspecs import hookimpl


@hookimpl
def bsbench_register_datasets(register):
    register(SyntheticDataset())
