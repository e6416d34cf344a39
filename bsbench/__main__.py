"""``python -m bsbench`` runs the command line."""

from bsbench.cli import main

main()
