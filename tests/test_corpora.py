"""The published corpora and the labelled-folder dataset, on generated trees with the real file names."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
from typer.testing import CliRunner

from bsbench.cli.app import app
from bsbench.core.errors import UsageError
from bsbench.core.types import Corpus
from bsbench.corpus.info import corpus_record
from bsbench.corpus.labels import select_emotions
from bsbench.corpus.store import load_saved_corpus, save_corpus
from bsbench.grid.runner import load_corpus
from tests.corpus_trees import CorpusTree, make_crema_d, make_emodb, make_ravdess, make_savee, make_tess
from tests.test_run_chain import bsbench

runner = CliRunner()
MAKERS = {"tess": make_tess, "crema-d": make_crema_d, "ravdess": make_ravdess, "savee": make_savee, "emodb": make_emodb}
#: Published sizes (DOMAIN section 5): clips, classes, speakers.
PUBLISHED = {
    "tess": (2800, 7, 2),
    "crema-d": (7442, 6, 91),
    "ravdess": (1440, 8, 24),
    "savee": (480, 7, 4),
    "emodb": (535, 7, 10),
}


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CorpusTree]:
    root = tmp_path_factory.mktemp("corpora")
    return {name: make(root / name) for name, make in MAKERS.items()}


@pytest.fixture(scope="module")
def corpora(registry, trees) -> dict[str, Corpus]:
    return {name: load_corpus(registry.get("dataset", name), tree.root, 0, {}) for name, tree in trees.items()}


@pytest.mark.parametrize("name", list(MAKERS))
def test_full_size_counts_match_the_published_ones(name, corpora, trees):
    corpus, tree = corpora[name], trees[name]
    clips, classes, speakers = PUBLISHED[name]
    assert len(corpus.clips) == clips
    assert len(corpus.labels) == classes
    assert len({clip.speaker for clip in corpus.clips}) == speakers
    by_code = {code: 0 for code in tree.per_label}
    for clip in corpus.clips:
        by_code[clip.metadata["code"]] += 1
    assert by_code == tree.per_label
    assert all(clip.label == corpus.label_mapping[clip.metadata["code"]] for clip in corpus.clips)


@pytest.mark.parametrize("name", list(MAKERS))
def test_copies_and_debris_are_reported_never_counted(name, corpora, trees):
    corpus, tree = corpora[name], trees[name]
    duplicates = [skip for skip in corpus.skipped if skip.reason.startswith("duplicate of ")]
    assert len(duplicates) == tree.duplicates
    assert len(corpus.skipped) == tree.duplicates + len(tree.extras)
    skipped_paths = {skip.path for skip in corpus.skipped}
    assert set(tree.extras) <= skipped_paths
    assert len({clip.clip_id for clip in corpus.clips}) == len(corpus.clips)


def test_nested_kaggle_copy_keeps_the_outer_path(corpora):
    sources = {clip.source.split("/")[0] for clip in corpora["tess"].clips}
    assert sources == {"TESS Toronto emotional speech set data"}


def test_ravdess_leaves_song_out_and_says_why(corpora):
    reasons = [skip.reason for skip in corpora["ravdess"].skipped if "song" in skip.reason]
    assert len(reasons) == 2 and all("not speech" in reason for reason in reasons)
    assert {clip.metadata["sex"] for clip in corpora["ravdess"].clips} == {"male", "female"}


@pytest.mark.parametrize("name", ["crema-d", "ravdess", "savee", "emodb"])
def test_splits_are_speaker_independent(name, corpora):
    corpus = corpora[name]
    splits_of: dict[str, set[str]] = {}
    for clip in corpus.clips:
        splits_of.setdefault(clip.speaker, set()).add(clip.split)
    assert all(len(splits) == 1 for splits in splits_of.values())
    assert {clip.split for clip in corpus.clips} == {"train", "validation", "test"}
    assert corpus.split_policy.startswith("speaker-independent") and not corpus.warnings


def test_tess_split_is_word_disjoint_and_warns(corpora):
    corpus = corpora["tess"]
    splits_of: dict[str, set[str]] = {}
    for clip in corpus.clips:
        splits_of.setdefault(clip.metadata["text"], set()).add(clip.split)
    assert len(splits_of) == 200 and all(len(splits) == 1 for splits in splits_of.values())
    test_words = sum(splits == {"test"} for splits in splits_of.values())
    assert test_words == 40
    assert corpus.split_policy.startswith("word-disjoint")
    assert "only 2 speakers" in corpus.warnings[0]


def test_splits_are_fixed_by_the_seed(registry, trees):
    plugin = registry.get("dataset", "savee")

    def assignment(seed: int) -> dict[str, str]:
        return {clip.clip_id: clip.split for clip in load_corpus(plugin, trees["savee"].root, seed, {}).clips}

    assert assignment(3) == assignment(3)
    assert assignment(3) != assignment(4)


def test_emotions_selects_a_subset_and_records_it(corpora):
    subset = select_emotions(corpora["emodb"], ["sad", "boredom", "angry"])
    assert subset.labels == ("angry", "sad", "boredom")
    assert len(subset.clips) == 127 + 62 + 81
    assert subset.parameters["emotions"] == ["angry", "sad", "boredom"]
    with pytest.raises(UsageError, match="'calm' not in dataset emodb"):
        select_emotions(corpora["emodb"], ["calm", "sad"])


def _write(path: Path, samples: np.ndarray, rate: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), samples, rate, subtype="PCM_16", format="WAV")
    return path


@pytest.fixture
def messy_emodb(tmp_path: Path) -> Path:
    """An EmoDB folder with one good file and one of each kind of bad input."""
    tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(16_000) / 16_000)
    _write(tmp_path / "wav" / "03a01Fa.wav", tone, 16_000)
    _write(tmp_path / "wav" / "09a01Fa.wav", tone * 0.9, 16_000)
    _write(tmp_path / "wav" / "03a02Wa.wav", np.zeros(0), 16_000)  # zero-length
    (tmp_path / "wav" / "03a04Ta.wav").write_bytes(b"RIFF not really a wave file" * 4)  # corrupt
    _write(tmp_path / "wav" / "03a05Na.wav.txt", tone, 16_000)  # wrong extension
    _write(tmp_path / "wav" / "recording 7.wav", tone[::-1], 16_000)  # unparseable name
    _write(tmp_path / "wav" / "03a07Xa.wav", tone * 0.5, 16_000)  # unknown emotion code
    seconds = np.arange(96_000) / 96_000
    stereo = np.stack([0.2 * np.sin(2 * np.pi * 200 * seconds), 0.4 * np.sin(2 * np.pi * 200 * seconds)], axis=1)
    _write(tmp_path / "wav" / "08b01Aa.wav", stereo, 96_000)  # stereo 96 kHz: converted, not lost
    return tmp_path


def test_bad_files_are_skipped_with_reasons_and_the_rest_load(registry, messy_emodb):
    corpus = load_corpus(registry.get("dataset", "emodb"), messy_emodb, 0, {"test_fraction": "0.3"})
    reasons = {skip.path: skip.reason for skip in corpus.skipped}
    assert reasons["wav/03a02Wa.wav"].startswith("no samples")
    assert reasons["wav/03a04Ta.wav"].startswith("cannot decode audio")
    assert reasons["wav/03a05Na.wav.txt"].startswith("not an audio file")
    assert reasons["wav/recording 7.wav"].startswith("expected SStttEv")
    assert reasons["wav/03a07Xa.wav"].startswith("unknown emotion 'X'")
    assert len(reasons) == 5
    loaded = {clip.clip_id: clip for clip in corpus.clips}
    assert set(loaded) == {"03a01Fa", "09a01Fa", "08b01Aa"}
    converted = loaded["08b01Aa"]
    assert converted.waveform.shape == (16_000,) and converted.sample_rate == 16_000
    assert converted.metadata["channels"] == 2 and converted.metadata["native_sample_rate"] == 96_000
    rms = float(np.sqrt(np.mean(converted.waveform[1000:-1000] ** 2)))
    assert rms == pytest.approx(0.3 / np.sqrt(2), rel=0.02)  # the mean of the two channels
    record = corpus_record(corpus)
    assert {"path": "wav/03a04Ta.wav", "reason": reasons["wav/03a04Ta.wav"]} in record["skipped"]
    save_corpus(corpus, messy_emodb / "saved")
    restored = load_saved_corpus(messy_emodb / "saved")
    assert restored is not None and corpus_record(restored) == record


def test_reference_length_policy_trims_silence_then_fixes_two_seconds(registry, tmp_path):
    rate = 16_000
    speech = 0.3 * np.sin(2 * np.pi * 180 * np.arange(rate) / rate)
    padded = np.concatenate([np.zeros(rate // 2), speech, np.zeros(rate)])
    for index, code in enumerate(("W", "T", "N")):
        _write(tmp_path / "wav" / f"{(3, 8, 9)[index]:02d}a01{code}a.wav", padded * (1 - index / 10), rate)
    plugin = registry.get("dataset", "emodb")
    kept = load_corpus(plugin, tmp_path, 0, {"test_fraction": "0.34"}).clips[0]
    trimmed = load_corpus(plugin, tmp_path, 0, {"test_fraction": "0.34", "length_policy": "reference"}).clips[0]
    assert kept.waveform.shape == (padded.size,)
    assert trimmed.waveform.shape == (2 * rate,)
    onset = int(np.flatnonzero(np.abs(trimmed.waveform) > 0.05)[0])
    assert onset < 0.01 * rate  # the half second of leading silence is gone
    assert np.all(trimmed.waveform[rate + 160 :] == 0.0)  # one second of speech, then zero padding


def test_folder_dataset_reads_a_csv_and_maps_spellings(registry, tmp_path):
    tone = 0.2 * np.sin(2 * np.pi * 150 * np.arange(8000) / 16_000)
    rows = ["path,label,speaker"]
    for index in range(12):
        spelled = ("Anger", "happiness", "SAD")[index % 3]
        _write(tmp_path / "clips" / f"c{index:02d}.wav", tone * (1 + index / 10), 16_000)
        rows.append(f"clips/c{index:02d}.wav,{spelled},s{index % 6}")
    _write(tmp_path / "clips" / "extra.wav", tone * 3, 16_000)
    rows += ["clips/missing.wav,sad,s1", "clips/c00.wav,angry,s0", "../outside.wav,sad,s1", "clips/extra.wav,grumpy,s1"]
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    corpus = load_corpus(registry.get("dataset", "folder"), tmp_path, 0, {"test_fraction": "0.3"})
    assert corpus.labels == ("angry", "happy", "sad") and len(corpus.clips) == 12
    assert corpus.label_mapping == {"anger": "angry", "happiness": "happy", "sad": "sad"}
    reasons = sorted(skip.reason for skip in corpus.skipped)
    assert reasons == [
        "labels.csv line 14: file not found",
        "labels.csv line 15: listed twice",
        "labels.csv line 16: path points outside the data folder",
        "labels.csv line 17: unknown label 'grumpy' (known: angry, disgust, fear, happy, neutral, sad, surprise, "
        "calm, boredom)",
    ]
    assert corpus.split_policy.startswith("speaker-independent")


def test_data_info_lists_mapping_counts_and_every_skip(trees):
    args = ["data", "info", "--dataset", "ravdess", "--data-dir", str(trees["ravdess"].root)]
    summary = json.loads(runner.invoke(app, [*args, "--json"], catch_exceptions=False).stdout)
    assert summary["clips"] == 1440 and summary["label_mapping"]["02"] == "calm"
    assert summary["by_label"]["calm"]["total"] == 192 and len(summary["by_speaker"]) == 25  # 24 actors + total
    assert len(summary["skipped"]) == 1442
    table = runner.invoke(app, args, catch_exceptions=False).stdout
    assert "02 -> calm" in table and "skipped 1442 files:" in table
    assert "Actor_01/03-02-01-01-01-01-01.wav: '03-02-01-01-01-01-01.wav' is song" in table


def test_a_missing_folder_is_one_line_naming_it_and_the_layout(monkeypatch, tmp_path):
    monkeypatch.setenv("BSBENCH_DATA", str(tmp_path))
    done = bsbench("data", "info", "--dataset", "crema-d")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert f"data folder {tmp_path / 'crema-d'} does not exist" in done.stderr and "1001_DFA_ANG_XX.wav" in done.stderr


def test_download_without_kagglehub_says_how_to_get_the_data():
    done = bsbench("data", "download", "crema-d")
    assert done.returncode == 1
    assert "kaggle.com/datasets/ejlok1/cremad" in done.stderr and done.stderr.count("\n") == 1


def test_a_run_on_a_corpus_records_its_split_mapping_and_skips(trees, tmp_path):
    out = tmp_path / "run"
    done = bsbench(
        "run",
        "--dataset",
        "ravdess",
        "--data-dir",
        str(trees["ravdess"].root),
        "--emotions",
        "angry,sad",
        "--epochs",
        "1",
        "--limit",
        "2",
        "-m",
        "random",
        "--metric",
        "faithfulness-correlation",
        "--device",
        "cpu",
        "-q",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert "1442 files skipped while reading ravdess" in done.stderr
    dataset = json.loads((out / "manifest.json").read_text())["dataset"]
    assert dataset["split_policy"].startswith("speaker-independent")
    assert dataset["parameters"]["emotions"] == ["angry", "sad"]
    assert dataset["label_mapping"]["05"] == "angry" and len(dataset["skipped"]) == 1442
    card = json.loads((out / "manifest.json").read_text())["model"]["card"]
    assert card["labels"] == ["angry", "sad"] and sum(card["split_sizes"].values()) == 2 * 192
