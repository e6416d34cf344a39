"""Acoustic cues around an explanation: the paper's salient-window rule, cue differences inside
the salient windows, the cue-track cache, cue statistics and extractor accuracy on ground truth.
"""
