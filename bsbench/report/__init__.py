"""Figures and the HTML report built from finished runs (``bsbench report``, ``bsbench figure``,
the cue report of ``bsbench cues``).
"""
