"""The shared language of every stage: data types, errors, parameters, files and progress.

Nothing here knows about audio, models or metrics; every other subpackage may import it, and it
imports no other part of bsbench. Plugins reach these names through :mod:`bsbench.plugin`.
"""
