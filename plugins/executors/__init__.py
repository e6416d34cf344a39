"""Built-in executors: ``local`` (this process, or a process pool with ``--workers``), ``dask`` and ``slurm``."""

from bsbench_plugins.executors.dask_cluster import DaskExecutor
from bsbench_plugins.executors.local import LocalExecutor
from bsbench_plugins.executors.slurm import SlurmExecutor

from bsbench.plugin import hookimpl


@hookimpl
def bsbench_register_executors(register):
    register(LocalExecutor())
    register(DaskExecutor())
    register(SlurmExecutor())
