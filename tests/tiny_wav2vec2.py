"""A tiny randomly initialised wav2vec 2.0, saved with ``save_pretrained``: the hf-audio plugin's test source."""

from __future__ import annotations

from pathlib import Path

import torch

#: Labels the saved head was "fine-tuned" on: three canonical ones, so a 7-class build re-initialises it.
SAVED_LABELS = ("angry", "happy", "sad")
#: Preprocessor settings deliberately away from the defaults, so reading them is tested.
SAMPLE_RATE = 8_000


def tiny_config(**overrides):
    """A wav2vec 2.0 of a few thousand weights: 2 s at 8 kHz become 99 frames of 32 features."""
    from transformers import Wav2Vec2Config

    settings = {
        "hidden_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 64,
        "conv_dim": (16, 16),
        "conv_kernel": (40, 8),
        "conv_stride": (20, 8),
        "conv_bias": True,
        "num_conv_pos_embeddings": 16,
        "num_conv_pos_embedding_groups": 2,
        "classifier_proj_size": 8,
        # Heavy time masking, so that a training forward certainly draws masks.
        "mask_time_prob": 0.3,
        "mask_time_length": 5,
        "id2label": dict(enumerate(SAVED_LABELS)),
        "label2id": {label: i for i, label in enumerate(SAVED_LABELS)},
    }
    return Wav2Vec2Config(**{**settings, **overrides})


def save_tiny_source(folder: Path) -> Path:
    """Write config, safetensors weights and preprocessor of a seeded tiny wav2vec 2.0 into ``folder``."""
    import transformers

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1234)
        transformers.Wav2Vec2ForSequenceClassification(tiny_config()).save_pretrained(folder)
    transformers.Wav2Vec2FeatureExtractor(sampling_rate=SAMPLE_RATE, do_normalize=False).save_pretrained(folder)
    return folder
