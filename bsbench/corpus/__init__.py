"""Clips from disk or generator to a split corpus: finding recordings, canonical labels, speaker
splits, the corpus cache and ``bsbench data`` (facts, export).
"""
