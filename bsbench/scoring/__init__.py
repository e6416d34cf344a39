"""Metrics applied to explanations: metric plans and their parameters, maps no metric should see,
a reason for every NaN, and the one remover every removal metric fills cells with.
"""
