"""A grid of (dataset, model, method, metric) runs: one guarded (method, batch) job, the piece cache,
executors (in process, process pool, Dask, SLURM), the runner, suites, resume and ``bsbench validate``.
"""
