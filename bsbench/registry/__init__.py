"""Finding and loading plugins: entry points loaded one by one, protocol and vocabulary checks,
warnings for broken packages, and the digest of a plugin's code that cache keys include.
"""
