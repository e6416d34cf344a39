"""An example bsbench plugin package: hummed vowels, a tiny CNN, deconvolution, frame energy, a share metric, a profile.

Each module holds one plugin and the hook that registers it; ``pyproject.toml`` points
bsbench's entry-point group at the modules. CONTRIBUTING.md in bsbench walks through them.
"""
