"""Trained networks: training with its augmentation, and the model store (cached checkpoints,
model cards, published weights loaded with ``weights_only=True``).
"""
