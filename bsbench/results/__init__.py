"""What a run leaves on disk and how it is read: results and manifests, run sets, statistics
(bootstrap, paired tests, rank intervals), the leaderboard, kept examples and table formats.
"""
