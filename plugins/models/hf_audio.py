"""Any Hugging Face audio-classification model on the raw waveform (wav2vec 2.0, HuBERT, WavLM ...).

``--model-option source=<directory or hub id>`` names the weights; the plugin keeps the
pretrained backbone and gives it a fresh classification head sized for the corpus, so
the usual train-then-explain chain fine-tunes it. A directory written by
``save_pretrained`` loads with ``local_files_only`` and never touches the network.

Nothing from a model repository is ever executed (``trust_remote_code=False``): a
config that needs its own code is refused with one line, as is every other load
failure. transformers is imported only when the plugin is configured, so bsbench runs
without it.

Grad-CAM-like methods read the last convolution of the model's feature encoder: its
time-resolved feature map of the waveform is what the transformer layers see. It is
not the last ``Conv1d`` in module order: the positional convolution
(``encoder.pos_conv_embed``) and conformer convolutions come later, but they act on
transformer states, not on the waveform's features.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch
from torch import nn

from bsbench.errors import CheckpointError, UsageError
from bsbench.frontend import WaveformFrontEnd, WaveformSettings
from bsbench.labels import CANONICAL_LABELS
from bsbench.protocols import TrainingConfig

NAME = "hf-audio"
NEEDS_TRANSFORMERS = f"model {NAME}: needs the transformers package; pip install 'bsbench[hf]'"
NEEDS_SOURCE = f"model {NAME}: needs --model-option source=<local directory or hub id>"
#: Single-file weights in the order transformers prefers them.
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
SHARD_INDEXES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")
#: ``name`` or ``namespace/name`` as the hub spells repository ids; anything else is a path.
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")
#: Name of the feature encoder (the waveform's convolution stack) in every wav2vec 2.0-style model.
_FEATURE_ENCODER = "feature_extractor"


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


@dataclass(frozen=True)
class _Source:
    """Where the weights are and what was read from them while configuring."""

    given: str
    #: The resolved local directory; None for a hub id.
    path: Path | None
    #: The hub commit read while configuring, so that every later load gets the same files.
    revision: str | None
    has_weights: bool
    sample_rate: int
    standardize: bool

    @property
    def location(self) -> str:
        """What transformers is handed: the absolute directory or the hub id."""
        return str(self.path) if self.path is not None else self.given

    def load_arguments(self) -> dict[str, Any]:
        """Keyword arguments every transformers load of this source takes."""
        pinned = {"revision": self.revision} if self.revision else {}
        return {"local_files_only": self.path is not None, "trust_remote_code": False, **pinned}


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
        self._source: _Source | None = None
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
        path = _local_directory(given)
        transformers = _transformers()
        with _quiet(transformers):
            config = _load_config(transformers, given, path)
            model_class = _audio_classification_class(transformers, config, given)
            explain_layer = _feature_encoder_layer(model_class, config, given)
        config_file, revision = _config_file(transformers, given, path)
        sample_rate, standardize = _preprocessor_settings(transformers, given, path, revision)

        weights = _weights_digest(path) if path is not None else None
        configured = HFAudioPlugin()
        configured._source = _Source(
            given=given,
            path=path,
            revision=revision,
            has_weights=path is None or weights is not None,
            sample_rate=sample_rate,
            standardize=standardize,
        )
        configured.explain_layer = explain_layer
        configured.checkpoint_labels = _canonical_labels(config)
        configured.options = {
            "source": given,
            "path": str(path) if path is not None else None,
            "config_sha256": _file_digest(config_file),
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
        transformers = _transformers()
        arguments = source.load_arguments()
        with _quiet(transformers):
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
                raise CheckpointError(f"model {NAME}: source {source.given}: {_reason(error)}") from None
        _check_backbone_loaded(model, info, source.given)
        return HFAudioClassifier(model)

    def canonizers(self) -> list[Any]:
        return []

    def _require_source(self) -> _Source:
        if self._source is None:
            raise UsageError(NEEDS_SOURCE)
        return self._source


def _transformers() -> ModuleType:
    """transformers, imported on first use so that bsbench itself does not depend on it."""
    try:
        import transformers
    except ImportError:
        raise UsageError(NEEDS_TRANSFORMERS) from None
    return transformers


def _local_directory(given: str) -> Path | None:
    """The resolved directory ``given`` names, None for a hub id, or an error for a path that is not there.

    Hub ids contain a slash (``facebook/wav2vec2-base``), so a slash alone does not make a
    path: anything that is not an existing directory and does not read as a hub id is
    taken for a mistyped path and refused before transformers can turn it into a
    network request.
    """
    candidate = Path(given).expanduser()
    if candidate.is_dir():
        return candidate.resolve()
    if candidate.exists():
        raise UsageError(f"--model-option source={given}: {candidate} is not a directory")
    if given.startswith((".", "~", "/")) or not _HUB_ID.match(given):
        raise UsageError(f"--model-option source={given}: no such directory {candidate}")
    return None


def _load_config(transformers: ModuleType, given: str, path: Path | None) -> Any:
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
        reason = _reason(error, model_type)
        if path is None:
            reason = f"not a local directory, and no hub model could be loaded ({reason})"
        raise CheckpointError(f"model {NAME}: source {given}: {reason}") from None


def _config_file(transformers: ModuleType, given: str, path: Path | None) -> tuple[Path, str | None]:
    """The config file read, and for a hub id the commit it came from (the snapshot folder's name)."""
    if path is not None:
        return path / "config.json", None
    try:
        resolved = transformers.utils.cached_file(given, "config.json")
        revision = transformers.utils.hub.extract_commit_hash(resolved, None)
    except Exception as error:  # the file was just fetched; failing now means the cache changed under us
        raise CheckpointError(f"model {NAME}: source {given}: {_reason(error)}") from None
    return Path(resolved), revision


def _audio_classification_class(transformers: ModuleType, config: Any, given: str) -> type[nn.Module]:
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


def _feature_encoder_layer(model_class: type[nn.Module], config: Any, given: str) -> str:
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
            f"model {NAME}: source {given}: cannot build {model_class.__name__} ({_reason(error)})"
        ) from None
    convolutions = [name for name, module in skeleton.named_modules() if isinstance(module, nn.Conv1d)]
    encoder = [name for name in convolutions if _FEATURE_ENCODER in name.split(".")]
    if not convolutions:
        raise CheckpointError(
            f"model {NAME}: source {given}: {model_class.__name__} has no 1-D convolution; "
            f"{NAME} takes waveform models such as wav2vec 2.0, HuBERT or WavLM"
        )
    return f"model.{(encoder or convolutions)[-1]}"


def _preprocessor_settings(
    transformers: ModuleType, given: str, path: Path | None, revision: str | None
) -> tuple[int, bool]:
    """Sampling rate and per-clip normalisation from ``preprocessor_config.json``; 16 kHz and on if absent."""
    if path is not None:
        found: Path | None = path / "preprocessor_config.json"
    else:
        located = transformers.utils.cached_file(
            given,
            "preprocessor_config.json",
            revision=revision,
            _raise_exceptions_for_missing_entries=False,
            _raise_exceptions_for_connection_errors=False,
        )
        found = Path(located) if located else None
    if found is None or not found.is_file():
        return 16_000, True
    try:
        settings = json.loads(found.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(
            f"model {NAME}: source {given}: preprocessor_config.json is not valid JSON ({error})"
        ) from None
    if not isinstance(settings, dict):
        raise CheckpointError(f"model {NAME}: source {given}: preprocessor_config.json is not a JSON object")
    sample_rate = settings.get("sampling_rate", 16_000)
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate <= 0:
        raise CheckpointError(f"model {NAME}: source {given}: preprocessor sampling_rate {sample_rate!r} is not a rate")
    return sample_rate, bool(settings.get("do_normalize", True))


def _canonical_labels(config: Any) -> tuple[str, ...]:
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


def _check_backbone_loaded(model: nn.Module, info: Mapping[str, Any], given: str) -> None:
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


def _reason(error: BaseException, model_type: object = None) -> str:
    """One line saying why transformers refused, in place of its multi-paragraph messages."""
    message = str(error)
    if "trust_remote_code" in message:
        return "its config needs custom code from the repository (auto_map), which bsbench never runs"
    if "does not recognize this architecture" in message or "Unrecognized model" in message:
        named = f" {model_type!r}" if model_type is not None else ""
        return f"transformers does not know its model_type{named}"
    first = next((line.strip() for line in message.splitlines() if line.strip()), "")
    return " ".join(f"{type(error).__name__}: {first}".split())[:300]


def _weights_digest(path: Path) -> str | None:
    """SHA-256 of the weights transformers will load from ``path``; None when there are none.

    Sharded weights digest their index and every shard by name, so any changed shard
    changes the identity.
    """
    for name in WEIGHT_FILES:
        if (path / name).is_file():
            return _file_digest(path / name)
    for index_name in SHARD_INDEXES:
        index = path / index_name
        if not index.is_file():
            continue
        try:
            shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
            raise CheckpointError(f"model {NAME}: {index}: not a shard index ({error})") from None
        digest = hashlib.sha256(_file_digest(index).encode())
        for shard in shards:
            digest.update(f"|{shard}|{_file_digest(path / shard)}".encode())
        return digest.hexdigest()
    return None


def _file_digest(path: Path) -> str:
    try:
        stat = path.stat()
    except OSError as error:
        raise CheckpointError(f"model {NAME}: {path}: cannot be read ({error.strerror})") from None
    return _cached_digest(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=64)
def _cached_digest(path: str, size: int, mtime_ns: int) -> str:
    """Weights run to gigabytes; a file unchanged in size and time is not read twice in one process."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def _quiet(transformers: ModuleType) -> Iterator[None]:
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
