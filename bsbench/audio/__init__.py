"""Audio as every stage reads it: decoding and resampling, the front ends that turn a waveform
into a model's input, and resynthesis of a waveform from a masked STFT.

A clip's samples pass through here on the way into a model and on the way back out (removal by
audio, listening); the front end's protocol lives here because both directions need it.
"""
