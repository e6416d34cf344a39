"""One clip explained in words: prediction, salient windows and each cue's finding against the
expert profile (``bsbench explain`` and the examples a run keeps).
"""
