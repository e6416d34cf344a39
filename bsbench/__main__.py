"""``python -m bsbench`` runs the command line."""

from bsbench.cli.app import main

main()
