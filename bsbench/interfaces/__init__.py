"""What a plugin is: the protocol of each plugin kind, the pluggy hook specifications and the cue
vocabulary shared by extractors and expert profiles.

These are the contracts the registry checks at load; :mod:`bsbench.plugin` re-exports them for
plugin authors.
"""
