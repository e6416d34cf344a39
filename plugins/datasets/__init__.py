"""Built-in dataset plugins."""

from bsbench.hookspecs import hookimpl
from bsbench_plugins.datasets.synthetic import SyntheticDataset


@hookimpl
def bsbench_register_datasets(register):
    register(SyntheticDataset())
