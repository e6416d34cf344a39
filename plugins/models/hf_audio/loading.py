"""Loading through transformers: never running repository code, never printing its reports.

transformers is imported only when the plugin is configured, so bsbench runs without
it. Every failure becomes one line naming the source and the reason, in place of
transformers' multi-paragraph messages.

Grad-CAM-like methods read the last convolution of the model's feature encoder: its
time-resolved feature map of the waveform is what the transformer layers see. It is
not the last ``Conv1d`` in module order: the positional convolution
(``encoder.pos_conv_embed``) and conformer convolutions come later, but they act on
transformer states, not on the waveform's features.
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn

from bsbench.plugin import CANONICAL_LABELS, CheckpointError, UsageError

NAME = "hf-audio"
NEEDS_TRANSFORMERS = f"model {NAME}: needs the transformers package; pip install 'bsbench[hf]'"
#: Name of the feature encoder (the waveform's convolution stack) in every wav2vec 2.0-style model.
_FEATURE_ENCODER = "feature_extractor"


def import_transformers() -> ModuleType:
    """transformers, imported on first use so that bsbench itself does not depend on it."""
    try:
        import transformers
    except ImportError:
        raise UsageError(NEEDS_TRANSFORMERS) from None
    return transformers


def load_config(transformers: ModuleType, given: str, path: Path | None) -> Any:
    """The source's config, read without running any code from it.

    A local ``config.json`` is read as plain JSON first, so that a broken file and an
    unknown ``model_type`` are named in the error rather than in a transformers traceback.
    """
    model_type = None
    if path is not None:
        config_file = path / "config.json"
        if not config_file.is_file():
            raise CheckpointError(f"model {NAME}: source {given}: no config.json (save the model with save_pretrained)")
        try:
            raw = json.loads(config_file.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CheckpointError(f"model {NAME}: source {given}: config.json is not valid JSON ({error})") from None
        if not isinstance(raw, dict):
            raise CheckpointError(f"model {NAME}: source {given}: config.json is not a JSON object")
        model_type = raw.get("model_type")
    try:
        return transformers.AutoConfig.from_pretrained(
            str(path) if path is not None else given, local_files_only=path is not None, trust_remote_code=False
        )
    except Exception as error:  # transformers raises ValueError, KeyError, OSError ...
        reason = load_failure_reason(error, model_type)
        if path is None:
            reason = f"not a local directory, and no hub model could be loaded ({reason})"
        raise CheckpointError(f"model {NAME}: source {given}: {reason}") from None


def audio_classification_class(transformers: ModuleType, config: Any, given: str) -> type[nn.Module]:
    from transformers.models.auto.modeling_auto import MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING

    if type(config) not in MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING:
        raise CheckpointError(
            f"model {NAME}: source {given}: model_type {config.model_type!r} has no audio-classification "
            f"head in transformers {transformers.__version__}"
        )
    model_class = MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING[type(config)]
    if model_class.main_input_name != "input_values":
        raise CheckpointError(
            f"model {NAME}: source {given}: {model_class.__name__} reads {model_class.main_input_name} "
            "(spectrogram features), not the waveform"
        )
    return model_class


def feature_encoder_layer(model_class: type[nn.Module], config: Any, given: str) -> str:
    """Name, within ``HFAudioClassifier``, of the feature encoder's last ``Conv1d``.

    The module names come from a model built on the meta device: no weights are
    allocated, and the generator is forked because a few parameters are still drawn on
    the CPU. A model without a feature encoder falls back to its last ``Conv1d``.
    """
    try:
        with torch.random.fork_rng(devices=[]), torch.device("meta"):
            skeleton = model_class(config)
    except Exception as error:  # a config that cannot even build a skeleton
        raise CheckpointError(
            f"model {NAME}: source {given}: cannot build {model_class.__name__} ({load_failure_reason(error)})"
        ) from None
    convolutions = [name for name, module in skeleton.named_modules() if isinstance(module, nn.Conv1d)]
    encoder = [name for name in convolutions if _FEATURE_ENCODER in name.split(".")]
    if not convolutions:
        raise CheckpointError(
            f"model {NAME}: source {given}: {model_class.__name__} has no 1-D convolution; "
            f"{NAME} takes waveform models such as wav2vec 2.0, HuBERT or WavLM"
        )
    return f"model.{(encoder or convolutions)[-1]}"


def canonical_labels(config: Any) -> tuple[str, ...]:
    """The config's labels in output order when bsbench knows every one, else none.

    Generic names (``LABEL_0``) or a corpus's own codes (``neu``) say nothing bsbench can
    map, so a bare checkpoint then needs a model card.
    """
    id2label = getattr(config, "id2label", None) or {}
    try:
        labels = tuple(str(id2label[key]) for key in sorted(id2label, key=int))
    except (TypeError, ValueError):
        return ()
    return labels if labels and all(label in CANONICAL_LABELS for label in labels) else ()


def check_backbone_loaded(model: nn.Module, info: Mapping[str, Any], given: str) -> None:
    """Refuse a model whose backbone weights were missing or the wrong shape, and so silently random."""
    prefix = getattr(model, "base_model_prefix", "")
    if not prefix:
        return

    def in_backbone(key: str) -> bool:
        return key == prefix or key.startswith(f"{prefix}.")

    missing = sorted(key for key in info.get("missing_keys", ()) if in_backbone(key))
    mismatched = sorted(str(entry[0]) for entry in info.get("mismatched_keys", ()) if in_backbone(str(entry[0])))
    problems = []
    if missing:
        problems.append(f"{len(missing)} backbone weights missing ({', '.join(missing[:3])})")
    if mismatched:
        problems.append(f"{len(mismatched)} backbone weights of the wrong shape ({', '.join(mismatched[:3])})")
    if problems:
        raise CheckpointError(f"model {NAME}: source {given}: {'; '.join(problems)}")


def load_failure_reason(error: BaseException, model_type: object = None) -> str:
    """One line saying why transformers refused, in place of its multi-paragraph messages."""
    message = str(error)
    if "trust_remote_code" in message:
        return "its config needs custom code from the repository (auto_map), which bsbench never runs"
    if "does not recognize this architecture" in message or "Unrecognized model" in message:
        named = f" {model_type!r}" if model_type is not None else ""
        return f"transformers does not know its model_type{named}"
    first = next((line.strip() for line in message.splitlines() if line.strip()), "")
    return " ".join(f"{type(error).__name__}: {first}".split())[:300]


@contextlib.contextmanager
def quiet_loading(transformers: ModuleType) -> Iterator[None]:
    """Silence transformers' load report, label-count notice and progress bars, then restore them.

    Re-initialising the head is the point of loading here, so the report's warning
    about newly initialised weights is noise; the backbone check replaces it.
    """
    logging = transformers.utils.logging
    verbosity = logging.get_verbosity()
    bars = logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"transformers(\.|$)")
            yield
    finally:
        logging.set_verbosity(verbosity)
        if bars:
            logging.enable_progress_bar()
