"""Getting a trained model: from a user's checkpoint, or trained once and cached.

Checkpoints are read with ``torch.load(weights_only=True)`` only: a state dict of
tensors, never pickled code. A model card (JSON) travels with every checkpoint; for a
bare file, ``<file>.card.json`` beside it is read if present, else the model plugin's
declared label order is assumed and said so in the card. A label map (``--label-map``, or
the card's ``label_map``) renames the outputs into the corpus's labels
(:mod:`bsbench.models.label_map`).
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from bsbench import __version__
from bsbench.core.cache import (
    DamagedEntry,
    cache_dir,
    clip_digest,
    content_key,
    expect_json,
    expect_strings,
    read_json,
    write_atomic,
    write_json,
)
from bsbench.core.errors import CheckpointError, UsageError
from bsbench.core.types import Corpus
from bsbench.interfaces.protocols import LoadedModel, ModelPlugin, TrainingConfig
from bsbench.models.label_map import LabelMapError, check_label_map, read_label_map, relabel
from bsbench.models.training import ClassificationScores, train_model

MODEL_FILE = "model.pt"
CARD_FILE = "card.json"
#: Weights, optimiser and generators after the last finished epoch; removed once trained.
STATE_FILE = "training-state.pt"
#: What the card keys that readers index into must be, when present.
_CARD_KINDS: dict[str, tuple[type, ...]] = {
    "model": (str,),
    "dataset": (str,),
    "checkpoint_sha256": (str,),
    "test": (dict,),
    "split_sizes": (dict,),
    "training": (dict,),
    "frontend": (dict,),
    "label_map": (dict,),
}


def check_card(card: Any) -> dict[str, Any]:
    """``card`` when it has the shape every reader of a model card relies on; else DamagedEntry saying why.

    A card is JSON a person or another tool may have written: a list, a number, or
    ``"labels": "abcdefg"`` (which ``tuple()`` would read as seven labels) is refused here,
    once, rather than misread, failing later in ``bsbench models`` or the model summary
    line, or keying cached pieces by a hash that is not the weights'. Absent keys are
    allowed: a bare checkpoint's card may hold only its labels.
    """
    expect_json(card, (dict,), "the top level")
    if "labels" in card:
        labels = expect_strings(card["labels"], "'labels'")
        if not labels or not all(labels) or len(set(labels)) != len(labels):
            raise DamagedEntry("'labels' must name each output class once, by a non-empty string")
    for key, kinds in _CARD_KINDS.items():
        if key in card:
            expect_json(card[key], kinds, f"'{key}'")
    if "label_map" in card:
        try:
            check_label_map(card["label_map"])
        except LabelMapError as problem:
            raise DamagedEntry(f"'label_map': {problem}") from None
    if "checkpoint_sha256" in card and not re.fullmatch("[0-9a-f]{64}", card["checkpoint_sha256"]):
        raise DamagedEntry("'checkpoint_sha256' must be 64 lower-case hexadecimal digits")
    if card.get("test"):  # the model summary line reads these together
        for key in ("accuracy", "unweighted_average_recall"):
            expect_json(card["test"].get(key, ...), (int, float), f"'test.{key}'")
        expect_json(card.get("dataset", ...), (str,), "'dataset'")
        expect_json(card.get("split_sizes", {}).get("test", ...), (int,), "'split_sizes.test'")
    return card


def read_card(path: Path) -> dict[str, Any]:
    """The model card at ``path``, checked by :func:`check_card`; one CheckpointError line naming it otherwise."""
    try:
        return check_card(read_json(path))
    except DamagedEntry as problem:
        raise CheckpointError(f"model card {path}: {problem}") from None


def load_checkpoint(
    plugin: ModelPlugin, path: Path, device: torch.device, label_map: Path | None = None
) -> LoadedModel:
    """Load a state dict into ``plugin``'s architecture, with one clear error per failure.

    ``label_map`` (a JSON file) renames the outputs, in place of the card's ``label_map``.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path}: no such file")
    card_path = _card_path(path)
    card = read_card(card_path) if card_path.is_file() else {}
    if label_map is not None:
        try:
            card = {**card, "label_map": read_label_map(label_map), "label_map_source": str(label_map)}
        except LabelMapError as problem:
            raise UsageError(f"--label-map {label_map}: {problem}") from None
    return _load(plugin, path, card, device)


def _card_path(checkpoint: Path) -> Path:
    """``card.json`` beside a cached ``model.pt``; ``<file>.card.json`` beside any other checkpoint."""
    return (
        checkpoint.parent / CARD_FILE
        if checkpoint.name == MODEL_FILE
        else checkpoint.with_name(checkpoint.name + ".card.json")
    )


def _load(plugin: ModelPlugin, path: Path, card: dict[str, Any], device: torch.device) -> LoadedModel:
    """The weights at ``path`` in ``plugin``'s network, labelled by the checked ``card`` ({}: no card).

    A card's ``checkpoint_sha256`` must be the file's: the piece cache keys explanations by
    it, so a card copied beside other weights (or weights damaged after training) must not
    pass for the model it describes.
    """
    card_path = _card_path(path)
    labels = tuple(card.get("labels", plugin.checkpoint_labels))
    recorded = card.get("checkpoint_sha256")
    if recorded is not None and recorded != _file_sha256(path):
        raise CheckpointError(
            f"model card {card_path}: checkpoint_sha256 {recorded[:12]}... is not the hash of {path} "
            "(the card belongs to other weights, or the file changed since)"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for corrupt or unsafe files
        reason = " ".join(str(error).split())[:200]
        raise CheckpointError(
            f"checkpoint {path}: cannot be read as a weights-only PyTorch state dict ({reason})"
        ) from None
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"checkpoint {path}: expected a state dict of tensors, got {type(state).__name__}")
    network = plugin.build(len(labels))
    from_card = "labels" in card
    label_source = f"its model card {card_path}" if from_card else f"{plugin.name}'s default checkpoint label order"
    _check_keys(path, plugin, network.state_dict(), state, f"{len(labels)} classes from {label_source}")
    network.load_state_dict(state)
    card = {
        "model": plugin.name,
        "checkpoint": str(path.resolve()),
        **card,
        "labels": list(labels),
        "label_source": "model card" if from_card else f"{plugin.name} default checkpoint label order",
    }
    if "label_map" in card:
        card = _relabelled(card, card_path)
        labels = tuple(card["labels"])
    card.setdefault("frontend", plugin.frontend().describe())
    return LoadedModel(plugin, network.to(device).eval(), plugin.frontend(), labels, device, card)


def _relabelled(card: dict[str, Any], card_path: Path) -> dict[str, Any]:
    """The card with its outputs renamed by its ``label_map``; the original names kept as ``output_names``.

    The map came from ``--label-map`` when ``label_map_source`` names that file, else from
    the card itself: the one line a bad entry gives points at the file to fix.
    """
    try:
        mapped = relabel(card["labels"], card["label_map"])
    except LabelMapError as problem:
        if "label_map_source" in card:
            raise UsageError(f"--label-map {card['label_map_source']}: {problem}") from None
        raise CheckpointError(f"model card {card_path}: 'label_map': {problem}") from None
    return {
        **card,
        "label_map_source": card.get("label_map_source", f"model card {card_path}"),
        "output_names": list(card["labels"]),
        "labels": list(mapped),
    }


def _check_keys(
    path: Path, plugin: ModelPlugin, expected: Mapping[str, torch.Tensor], found: Mapping, classes: str
) -> None:
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    problems = []
    if missing:
        problems.append(f"missing keys {_first(missing)}")
    if unexpected:
        problems.append(f"unexpected keys {_first(unexpected)}")
    shapes = [
        f"{key} is {tuple(found[key].shape)}, expected {tuple(tensor.shape)}"
        for key, tensor in expected.items()
        if key in found and found[key].shape != tensor.shape
    ]
    if shapes:
        problems.append(f"shape mismatch {_first(shapes)} (model built for {classes})")
    if problems:
        raise CheckpointError(f"checkpoint {path}: does not fit model {plugin.name}: {'; '.join(problems)}")


def _file_sha256(path: Path) -> str:
    """SHA-256 of the file, read in blocks: a large checkpoint is never held twice in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _first(items: list[str], count: int = 3) -> str:
    more = f" and {len(items) - count} more" if len(items) > count else ""
    return ", ".join(items[:count]) + more


def checkpoint_bytes(network: torch.nn.Module) -> bytes:
    """The network's state dict as a ``torch.save`` file, byte-identical for identical weights.

    Saved through a buffer: saving to a path names the archive's records after the file,
    and the atomic writer's temporary names would make every file differ.
    """
    buffer = io.BytesIO()
    torch.save({name: tensor.detach().cpu() for name, tensor in network.state_dict().items()}, buffer)
    return buffer.getvalue()


def configure_model(plugin: ModelPlugin, options: Mapping[str, str] | None) -> ModelPlugin:
    """The plugin with ``--model-option`` settings applied; a plugin without options refuses any."""
    if not options:
        return plugin
    configure = getattr(plugin, "configure", None)
    if configure is None:
        raise UsageError(f"--model-option: model {plugin.name} takes no options (got {', '.join(options)})")
    return configure(dict(options))


def model_folder(plugin: ModelPlugin, corpus: Corpus, seed: int, config: TrainingConfig) -> Path:
    """Cache folder of one training: keyed by dataset, model (and its options), recipe and seed.

    The clips themselves (audio, label and split of each) are part of the key: a corpus
    whose files changed under the same name and options must not reuse a model trained
    on the old files.
    """
    clips = hashlib.blake2b(digest_size=16)
    for clip in corpus.clips:
        clips.update(f"{clip.clip_id}|{clip.label}|{clip.split}|{clip_digest(clip)}\n".encode())
    key = content_key(
        {
            "model": [plugin.name, plugin.version, dict(getattr(plugin, "options", {}) or {})],
            "dataset": [corpus.name, dict(corpus.parameters), corpus.split_policy, clips.hexdigest()],
            "labels": corpus.labels,
            "seed": seed,
            "training": asdict(config),
            "bsbench": __version__,
        }
    )
    return cache_dir() / "models" / f"{plugin.name}-{corpus.name}-{key}"


def trained_model(
    plugin: ModelPlugin,
    corpus: Corpus,
    *,
    seed: int,
    device: torch.device,
    config: TrainingConfig | None = None,
    show_progress: bool = True,
    on_epoch: Callable[[int, ClassificationScores], None] | None = None,
) -> LoadedModel:
    """The cached model trained on ``corpus`` with these settings, training it on first use.

    An interrupted training leaves its last finished epoch in the folder and the next
    call resumes from there. A damaged entry (card or weights) is trained again and
    rewritten, as if it were absent.
    """
    config = config or plugin.training
    folder = model_folder(plugin, corpus, seed, config)
    cached = _cached_model(plugin, folder, corpus.labels, device)
    if cached is not None:
        return cached
    trained = train_model(
        plugin,
        corpus,
        seed=seed,
        device=device,
        config=config,
        state_path=folder / STATE_FILE,
        show_progress=show_progress,
        on_epoch=on_epoch,
    )
    checkpoint = checkpoint_bytes(trained.network)
    write_json(folder / CARD_FILE, {**trained.card, "checkpoint_sha256": hashlib.sha256(checkpoint).hexdigest()})
    write_atomic(folder / MODEL_FILE, lambda temp: temp.write_bytes(checkpoint))
    (folder / STATE_FILE).unlink(missing_ok=True)
    return load_checkpoint(plugin, folder / MODEL_FILE, device)


def _cached_card(folder: Path) -> dict[str, Any] | None:
    """The checked card of the finished training in ``folder``; None when unfinished or damaged.

    bsbench writes every cached card with the labels and the weights' hash, so a card
    without them was replaced by other JSON and is as unusable as a garbled one.
    """
    if not ((folder / CARD_FILE).is_file() and (folder / MODEL_FILE).is_file()):
        return None
    try:
        card = read_card(folder / CARD_FILE)
    except CheckpointError:
        return None
    return card if "labels" in card and "checkpoint_sha256" in card else None


def _cached_model(
    plugin: ModelPlugin, folder: Path, labels: tuple[str, ...], device: torch.device
) -> LoadedModel | None:
    """The model cached in ``folder`` for a corpus with ``labels``; None when absent, unfinished or damaged."""
    card = _cached_card(folder)
    if card is None or tuple(card["labels"]) != tuple(labels):
        return None
    try:
        return _load(plugin, folder / MODEL_FILE, card, device)
    except CheckpointError:  # weights truncated or changed since training: the card's hash says so
        return None


def cached_models() -> list[dict[str, Any]]:
    """One row per trained model in the cache, from its card (JSON only, nothing unpickled).

    A folder without both files is an unfinished training, and one whose card is damaged
    will be trained again on first use: both are left out.
    """
    rows = []
    for folder in sorted((cache_dir() / "models").glob("*")):
        card = _cached_card(folder)
        if card is None:
            continue
        model_path = folder / MODEL_FILE
        test = card.get("test") or {}
        rows.append(
            {
                "model": card.get("model"),
                "dataset": card.get("dataset"),
                "classes": len(card.get("labels") or []),
                "seed": card.get("seed"),
                "epochs": card.get("epochs_run", (card.get("training") or {}).get("epochs")),
                "seconds_per_epoch": card.get("seconds_per_epoch"),
                "test_accuracy": test.get("accuracy"),
                "test_uar": test.get("unweighted_average_recall"),
                "test_clips": (card.get("split_sizes") or {}).get("test"),
                "checkpoint": str(model_path.resolve()),
            }
        )
    return rows
