"""The contracts plugins are held to: one module of checks per plugin kind, runnable without pytest.

``bsbench check`` runs them from the command line; :mod:`bsbench.testing` turns the
same checks into pytest tests for plugin authors.
"""
