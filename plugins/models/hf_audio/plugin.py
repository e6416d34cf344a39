"""Any Hugging Face audio-classification model on the raw waveform (wav2vec 2.0, HuBERT, WavLM ...).

``--model-option source=<directory or hub id>`` names the weights; the plugin keeps the
pretrained backbone and gives it a fresh classification head sized for the corpus, so
the usual train-then-explain chain fine-tunes it. A directory written by
``save_pretrained`` loads with ``local_files_only`` and never touches the network.

Nothing from a model repository is ever executed (``trust_remote_code=False``): a
config that needs its own code is refused with one line, as is every other load
failure. transformers is imported only when the plugin is configured, so bsbench runs
without it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import torch
from bsbench_plugins.models.hf_audio.loading import (
    NAME,
    audio_classification_class,
    canonical_labels,
    check_backbone_loaded,
    feature_encoder_layer,
    import_transformers,
    load_config,
    load_failure_reason,
    quiet_loading,
)
from bsbench_plugins.models.hf_audio.source import (
    Source,
    file_digest,
    local_directory,
    locate_config_file,
    preprocessor_settings,
    weights_digest,
)
from torch import nn

from bsbench.plugin import CheckpointError, TrainingConfig, UsageError, WaveformFrontEnd, WaveformSettings

NEEDS_SOURCE = f"model {NAME}: needs --model-option source=<local directory or hub id>"


class HFAudioClassifier(nn.Module):
    """The front end's (batch, 1, 1, samples) tensor in, (batch, classes) logits out.

    While training, the wrapped model's own SpecAugment-style masking (wav2vec 2.0's
    ``mask_time_prob``) draws from NumPy's global generator, which ``train_model`` does
    not seed or checkpoint. Each training forward therefore runs under a NumPy seed drawn
    from torch's generator, so a seeded training is reproducible and resumes exactly,
    and the caller's NumPy state is restored afterwards.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        context = _numpy_seeded_from_torch() if self.training else contextlib.nullcontext()
        with context:
            return self.model(input_values=x.flatten(1)).logits


class HFAudioPlugin:
    """The registered instance is unconfigured; ``configure`` returns a configured copy.

    The copy, not the registered object, carries the source so that two runs with
    different sources in one process never share state.
    """

    name = NAME
    description = (
        "A Hugging Face audio-classification model (wav2vec 2.0, HuBERT, WavLM ...) fine-tuned "
        "on the raw waveform; --model-option source=<directory or hub id>."
    )
    version = "0.1.0"
    #: Fine-tuning a pretrained transformer wants a small rate and batch, as in the wav2vec 2.0 recipes.
    training = TrainingConfig(epochs=30, batch_size=16, learning_rate=1e-4)

    def __init__(self) -> None:
        self._source: Source | None = None
        self.explain_layer: str = ""
        self.checkpoint_labels: tuple[str, ...] = ()
        #: JSON-able identity of the configured weights, for cache keys and model cards.
        self.options: dict[str, Any] = {}

    def configure(self, options: Mapping[str, str]) -> HFAudioPlugin:
        """A new instance reading ``source``; the config is checked here so mistakes surface early."""
        for key in options:
            if key != "source":
                raise UsageError(f"--model-option {key}: {NAME} takes only source=<directory or hub id>")
        given = str(options.get("source", "")).strip()
        if not given:
            raise UsageError(NEEDS_SOURCE)
        path = local_directory(given)
        transformers = import_transformers()
        with quiet_loading(transformers):
            config = load_config(transformers, given, path)
            model_class = audio_classification_class(transformers, config, given)
            explain_layer = feature_encoder_layer(model_class, config, given)
        config_path, revision = locate_config_file(transformers, given, path)
        sample_rate, standardize = preprocessor_settings(transformers, given, path, revision)

        weights = weights_digest(path) if path is not None else None
        configured = HFAudioPlugin()
        configured._source = Source(
            given=given,
            path=path,
            revision=revision,
            has_weights=path is None or weights is not None,
            sample_rate=sample_rate,
            standardize=standardize,
        )
        configured.explain_layer = explain_layer
        configured.checkpoint_labels = canonical_labels(config)
        configured.options = {
            "source": given,
            "path": str(path) if path is not None else None,
            "config_sha256": file_digest(config_path),
            "weights_sha256": weights,
            # A hub id alone names whatever the repository holds today; the commit pins it.
            "revision": revision,
        }
        return configured

    def frontend(self) -> WaveformFrontEnd:
        source = self._require_source()
        return WaveformFrontEnd(WaveformSettings(sample_rate=source.sample_rate, standardize=source.standardize))

    def build(self, n_classes: int) -> HFAudioClassifier:
        """The pretrained backbone with a new ``n_classes`` head, initialised from torch's global generator.

        A head whose shape already fits is kept, as transformers does. Transformers'
        load report is silenced, so the check it would have shown is made here: only
        head weights may be new, never the backbone's.
        """
        source = self._require_source()
        transformers = import_transformers()
        arguments = source.load_arguments()
        with quiet_loading(transformers):
            try:
                config = transformers.AutoConfig.from_pretrained(source.location, num_labels=n_classes, **arguments)
                if source.has_weights:
                    model, info = transformers.AutoModelForAudioClassification.from_pretrained(
                        source.location,
                        config=config,
                        ignore_mismatched_sizes=True,
                        dtype=torch.float32,
                        output_loading_info=True,
                        **arguments,
                    )
                else:
                    model = transformers.AutoModelForAudioClassification.from_config(
                        config, trust_remote_code=False, dtype=torch.float32
                    )
                    info = {}
            except Exception as error:  # transformers raises many types; the user needs one line
                raise CheckpointError(f"model {NAME}: source {source.given}: {load_failure_reason(error)}") from None
        check_backbone_loaded(model, info, source.given)
        return HFAudioClassifier(model)

    def canonizers(self) -> list[Any]:
        return []

    def _require_source(self) -> Source:
        if self._source is None:
            raise UsageError(NEEDS_SOURCE)
        return self._source


@contextlib.contextmanager
def _numpy_seeded_from_torch() -> Iterator[None]:
    """Run with NumPy's global generator seeded from torch's, then put NumPy's state back."""
    seed = int(torch.randint(0, 2**32 - 1, (1,), dtype=torch.int64).item())
    saved = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(saved)
