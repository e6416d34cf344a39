"""The ``bsbench`` command line (Typer): option parsing, one clear line per usage error, catalogues
of methods and metrics, and text made safe for the terminal.
"""
