"""``slurm``: the jobs on SLURM through dask-jobqueue, as a ``[slurm]`` table in a TOML file describes.

    bsbench run --executor slurm --executor-option cluster_config=hpc.toml --workers 8


dask-jobqueue submits one batch job per Dask worker; the table sets what the job asks
SLURM for. Only resource settings are accepted: partition, account, cores, processes,
memory, wall time, job name, network interface and directories. Settings that put
lines into the job script (``job_extra_directives``, ``job_script_prologue``, ``python``)
are refused, because a config file must never carry code to run; a site that needs
them sets them in dask-jobqueue's own configuration, under the user's control.

    [slurm]
    queue = "gpu"          # partition (-p)
    account = "my-lab"     # -A
    cores = 8              # threads per job
    processes = 1          # Dask worker processes per job
    memory = "32GB"
    walltime = "02:00:00"
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bsbench_plugins.executors.dask_cluster import dask_distributed, run_on_dask

from bsbench.plugin import UsageError

#: Accepted keys and their types.
SLURM_SETTINGS: dict[str, type] = {
    "queue": str,
    "account": str,
    "cores": int,
    "processes": int,
    "memory": str,
    "walltime": str,
    "job_name": str,
    "interface": str,
    "log_directory": str,
    "local_directory": str,
}
#: Keys that would write shell lines into the job script.
SCRIPT_SETTINGS = frozenset(
    {"job_extra_directives", "job_script_prologue", "python", "job_directives_skip", "env_extra"}
)
REQUIRED = ("cores", "memory")


def load_slurm_settings(path: Path) -> dict[str, Any]:
    """The ``[slurm]`` table of ``path``, checked key by key; one-line UsageErrors name the file and key."""
    where = f"--executor slurm cluster_config={path}"
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{where}: no such file") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{where}: not valid TOML ({error})") from None
    table = data.get("slurm")
    if not isinstance(table, dict):
        raise UsageError(f"{where}: needs a [slurm] table (queue, account, cores, memory, walltime, ...)")
    settings: dict[str, Any] = {}
    for key, value in table.items():
        if key in SCRIPT_SETTINGS:
            raise UsageError(
                f"{where}: key {key!r} writes lines into the job script and is not accepted from a config file; "
                "set it in dask-jobqueue's own configuration"
            )
        expected = SLURM_SETTINGS.get(key)
        if expected is None:
            raise UsageError(f"{where}: unknown key {key!r} in [slurm]; accepted: {', '.join(SLURM_SETTINGS)}")
        if not isinstance(value, expected) or isinstance(value, bool):
            raise UsageError(f"{where}: key {key!r} must be a {expected.__name__}, got {value!r}")
        if expected is int and value < 1:
            raise UsageError(f"{where}: key {key!r} must be at least 1, got {value}")
        settings[key] = value
    missing = [key for key in REQUIRED if key not in settings]
    if missing:
        raise UsageError(f"{where}: [slurm] needs {', '.join(missing)}")
    return settings


def slurm_cluster(settings: dict[str, Any]) -> Any:
    """A dask-jobqueue SLURMCluster for ``settings`` (no job is submitted until it is scaled)."""
    try:
        from dask_jobqueue import SLURMCluster
    except ImportError:
        raise UsageError("--executor slurm: dask-jobqueue is not installed (pip install 'bsbench[dask]')") from None
    return SLURMCluster(**settings, scheduler_options={"dashboard_address": None})


def torch_threads(settings: dict[str, Any]) -> int:
    """Torch threads per Dask worker process of a job: the job's cores shared by its processes."""
    return max(1, settings["cores"] // settings.get("processes", 1))


@dataclass(frozen=True)
class SlurmParameters:
    #: The TOML file whose [slurm] table sets queue, account, cores, memory, walltime ...
    cluster_config: str = ""


class SlurmExecutor:
    name = "slurm"
    description = "SLURM through dask-jobqueue: --workers batch jobs as --executor-option cluster_config=FILE says."
    version = "1.0.0"
    parameters = SlurmParameters

    def check(self, params: SlurmParameters, workers: int) -> None:
        if not params.cluster_config:
            raise UsageError("--executor slurm: needs --executor-option cluster_config=FILE (a TOML file with [slurm])")
        load_slurm_settings(Path(params.cluster_config))

    def run(
        self, work: Callable[[Any, Any], Any], shared: Any, jobs: Sequence[Any], workers: int, params: SlurmParameters
    ) -> Iterator[Any]:
        distributed = dask_distributed(self.name)
        settings = load_slurm_settings(Path(params.cluster_config))
        cluster = slurm_cluster(settings)
        cluster.scale(jobs=workers)
        yield from run_on_dask(distributed.Client(cluster), cluster, torch_threads(settings), work, shared, jobs)
