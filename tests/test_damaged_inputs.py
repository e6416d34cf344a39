"""Damaged input: a cache entry that is truncated, garbled or of the wrong shape is recomputed and rewritten;
a damaged user file is one line naming it; memory and time are bounded by what is read, not by what a header says.

Every hostile file is generated here: WAV headers packed with ``struct``, cache files cut short, garbled or
rewritten with the wrong shape.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from bsbench.audio.reading import MAX_SECONDS_ENV, AudioFileError, max_audio_seconds, read_audio
from bsbench.core.errors import CheckpointError, DataError, UsageError
from bsbench.core.types import Corpus
from bsbench.corpus.store import ARRAYS, INDEX, load_saved_corpus
from bsbench.cues.cache import GRID_KEY, VOICED_KEY, VOICED_ONLY_KEY, cached_tracks
from bsbench.interfaces.protocols import DatasetRequest
from bsbench.models.store import CARD_FILE, MODEL_FILE, cached_models, load_checkpoint, read_card, trained_model
from bsbench.registry.loader import Registry
from tests.test_cue_cache_and_vocabulary import CountingLibrosa

CPU = torch.device("cpu")
#: Three speakers, one clip per class: 21 clips, generated in half a second.
TINY_CORPUS = {"speakers": "3", "clips_per_class": "1", "test_speakers": "1", "validation_speakers": "1"}
#: The model whose one-epoch training on TINY_CORPUS takes about two seconds.
FAST_MODEL = "wav-cnn"


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of this test's own, so damaging an entry never touches another test's."""
    root = tmp_path / "cache"
    monkeypatch.setenv("BSBENCH_CACHE", str(root))
    return root


@pytest.fixture(scope="module")
def tiny_corpus(registry: Registry) -> Corpus:
    return registry.get("dataset", "synthetic").load(DatasetRequest(seed=0, options={**TINY_CORPUS, "cache": "false"}))


def wav_bytes(rate: int, frames: int, held: int | None = None, channels: int = 1) -> bytes:
    """A PCM-16 WAV whose header declares ``frames`` frames at ``rate`` Hz and whose data chunk holds ``held``."""
    held = frames if held is None else held
    samples = (np.sin(np.arange(held * channels) * 0.3) * 8000).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * 2 * channels, 2 * channels, 16)
    data = struct.pack("<4sI", b"data", frames * 2 * channels) + samples
    body = b"WAVE" + struct.pack("<4sI", b"fmt ", len(fmt)) + fmt + data
    return struct.pack("<4sI", b"RIFF", 4 + len(body)) + body


def tone(seconds: float, rate: int = 16_000, hz: float = 220.0) -> np.ndarray:
    return 0.3 * np.sin(2 * np.pi * hz * np.arange(round(seconds * rate)) / rate)


def write_wav(path: Path, samples: np.ndarray, rate: int = 16_000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), samples, rate, subtype="PCM_16", format="WAV")
    return path


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def rewrite_arrays(path: Path, change: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]) -> None:
    with np.load(path, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    path.write_bytes(npz_bytes(change(arrays)))


def rewrite_json(path: Path, change: Callable[[dict], object]) -> None:
    path.write_text(json.dumps(change(json.loads(path.read_text()))))


def cut_in_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def garble(path: Path) -> None:
    """Invert the first 64 bytes: no longer UTF-8, no longer a zip header."""
    data = path.read_bytes()
    path.write_bytes(bytes(byte ^ 0xFF for byte in data[:64]) + data[64:])


# --- 1 and 2: the model cache and model cards ------------------------------------------------------------------------

CARD_DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated card": lambda folder: cut_in_half(folder / CARD_FILE),
    "garbled card": lambda folder: garble(folder / CARD_FILE),
    "card a list": lambda folder: (folder / CARD_FILE).write_text("[1, 2, 3]"),
    "card a number": lambda folder: (folder / CARD_FILE).write_text("7"),
    "labels a string": lambda folder: rewrite_json(folder / CARD_FILE, lambda card: {**card, "labels": "abcdefg"}),
    "labels numbers": lambda folder: rewrite_json(folder / CARD_FILE, lambda card: {**card, "labels": list(range(7))}),
    "card without its hash": lambda folder: rewrite_json(
        folder / CARD_FILE, lambda card: {k: v for k, v in card.items() if k != "checkpoint_sha256"}
    ),
    "truncated weights": lambda folder: cut_in_half(folder / MODEL_FILE),
    "weights changed after training": lambda folder: torch.save(
        {name: tensor + 1 for name, tensor in torch.load(folder / MODEL_FILE, weights_only=True).items()},
        folder / MODEL_FILE,
    ),
}


@pytest.fixture(scope="module")
def trained_cache(tmp_path_factory: pytest.TempPathFactory, registry: Registry, tiny_corpus: Corpus) -> Path:
    """A cache holding one trained FAST_MODEL, copied by each test that damages it."""
    root = tmp_path_factory.mktemp("trained-cache")
    patcher = pytest.MonkeyPatch()
    patcher.setenv("BSBENCH_CACHE", str(root))
    try:
        train_tiny(registry, tiny_corpus)
    finally:
        patcher.undo()
    return root


def train_tiny(registry: Registry, corpus: Corpus, epochs: list[int] | None = None):
    """FAST_MODEL for one epoch on ``corpus`` through the cache; ``epochs`` collects the epochs actually trained."""
    plugin = registry.get("model", FAST_MODEL)
    return trained_model(
        plugin,
        corpus,
        seed=0,
        device=CPU,
        config=replace(plugin.training, epochs=1),
        show_progress=False,
        on_epoch=None if epochs is None else lambda epoch, _: epochs.append(epoch),
    )


def copied_cache(trained_cache: Path, fresh_cache: Path) -> Path:
    """The trained cache copied into this test's cache; the one model folder in it."""
    shutil.copytree(trained_cache, fresh_cache)
    [folder] = (fresh_cache / "models").iterdir()
    return folder


def test_an_intact_cached_model_is_read_not_trained_again(registry, tiny_corpus, trained_cache, fresh_cache):
    copied_cache(trained_cache, fresh_cache)
    epochs: list[int] = []
    loaded = train_tiny(registry, tiny_corpus, epochs)
    assert epochs == [] and loaded.labels == tiny_corpus.labels


@pytest.mark.parametrize("damage", list(CARD_DAMAGE))
def test_a_damaged_cached_model_is_trained_again_and_rewritten(
    damage, registry, tiny_corpus, trained_cache, fresh_cache
):
    folder = copied_cache(trained_cache, fresh_cache)
    original = json.loads((folder / CARD_FILE).read_text())
    CARD_DAMAGE[damage](folder)
    epochs: list[int] = []
    loaded = train_tiny(registry, tiny_corpus, epochs)
    assert epochs == [1]  # trained again, not read
    assert loaded.labels == tiny_corpus.labels
    rewritten = read_card(folder / CARD_FILE)
    # the same seed gives the same weights, and the rewritten card describes the rewritten file
    assert rewritten["checkpoint_sha256"] == original["checkpoint_sha256"]
    assert hashlib.sha256((folder / MODEL_FILE).read_bytes()).hexdigest() == original["checkpoint_sha256"]
    again: list[int] = []
    train_tiny(registry, tiny_corpus, again)
    assert again == []  # the rewritten entry is read from now on


def test_models_listing_leaves_a_damaged_card_out(trained_cache, fresh_cache):
    folder = copied_cache(trained_cache, fresh_cache)
    assert [row["model"] for row in cached_models()] == [FAST_MODEL]
    garble(folder / CARD_FILE)
    assert cached_models() == []


@pytest.fixture(scope="module")
def user_checkpoint(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Path:
    """Untrained resnet-small weights (seven classes) saved as a user's bare checkpoint."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("checkpoint") / "weights.pt"
    torch.save(registry.get("model", "resnet-small").build(7).state_dict(), path)
    return path


@pytest.mark.parametrize(
    ("card", "problem"),
    [
        ([1, 2], "the top level must be an object, not an array"),
        (7, "the top level must be an object, not a number"),
        ({"labels": "abcdefg"}, "'labels' must be an array, not a string"),
        ({"labels": list(range(7))}, "every item of 'labels' must be a string, not a number"),
        ({"labels": []}, "'labels' must name each output class once"),
        ({"labels": ["sad"] * 7}, "'labels' must name each output class once"),
        ({"test": "good"}, "'test' must be an object, not a string"),
        ({"test": {"accuracy": 0.5, "unweighted_average_recall": 0.5}}, "'dataset' must be a string, not missing"),
        ({"checkpoint_sha256": "0" * 64}, "checkpoint_sha256 000000000000... is not the hash of"),
    ],
)
def test_a_card_of_the_wrong_shape_beside_a_checkpoint_is_one_line_naming_it(
    card, problem, registry, user_checkpoint, tmp_path
):
    checkpoint = tmp_path / user_checkpoint.name
    shutil.copy(user_checkpoint, checkpoint)
    card_path = checkpoint.with_name(checkpoint.name + ".card.json")
    card_path.write_text(json.dumps(card))
    with pytest.raises(CheckpointError) as raised:
        load_checkpoint(registry.get("model", "resnet-small"), checkpoint, CPU)
    message = str(raised.value)
    assert message.startswith(f"model card {card_path}: ") and problem in message and "\n" not in message


def test_a_garbled_card_beside_a_checkpoint_is_one_line(registry, user_checkpoint, tmp_path):
    checkpoint = tmp_path / user_checkpoint.name
    shutil.copy(user_checkpoint, checkpoint)
    card_path = checkpoint.with_name(checkpoint.name + ".card.json")
    card_path.write_bytes(b"\xff\xfe{\x00")
    with pytest.raises(CheckpointError, match=r"^model card .*weights\.pt\.card\.json: not valid JSON \(.*\)$"):
        load_checkpoint(registry.get("model", "resnet-small"), checkpoint, CPU)


def test_a_card_with_the_right_labels_and_hash_is_read(registry, user_checkpoint, tmp_path):
    checkpoint = tmp_path / user_checkpoint.name
    shutil.copy(user_checkpoint, checkpoint)
    labels = ["a", "b", "c", "d", "e", "f", "g"]
    digest = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    card = {"labels": labels, "checkpoint_sha256": digest}
    checkpoint.with_name(checkpoint.name + ".card.json").write_text(json.dumps(card))
    loaded = load_checkpoint(registry.get("model", "resnet-small"), checkpoint, CPU)
    assert loaded.labels == tuple(labels) and loaded.card["label_source"] == "model card"


# --- 1: the corpus store ----------------------------------------------------------------------------------------------


def _shift_offsets(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {**arrays, "waveform_offsets": arrays["waveform_offsets"] * 2}


def _drop_last_frame(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    cue = next(name for name in arrays if name.startswith("track."))
    return {**arrays, cue: arrays[cue][:-1]}


CORPUS_DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated arrays": lambda folder: cut_in_half(folder / ARRAYS),
    "garbled arrays": lambda folder: garble(folder / ARRAYS),
    "arrays a single .npy": lambda folder: np.save(open(folder / ARRAYS, "wb"), np.zeros(3)),  # noqa: SIM115
    "offsets past the samples": lambda folder: rewrite_arrays(folder / ARRAYS, _shift_offsets),
    "a cue track one frame short": lambda folder: rewrite_arrays(folder / ARRAYS, _drop_last_frame),
    "waveforms as text": lambda folder: rewrite_arrays(
        folder / ARRAYS, lambda arrays: {**arrays, "waveforms": arrays["waveforms"].astype(str)}
    ),
    "truncated index": lambda folder: cut_in_half(folder / INDEX),
    "index a list": lambda folder: (folder / INDEX).write_text("[]"),
    "labels a string": lambda folder: rewrite_json(folder / INDEX, lambda index: {**index, "labels": "abcdefg"}),
    "a clip's label a number": lambda folder: rewrite_json(
        folder / INDEX, lambda index: {**index, "clips": [{**index["clips"][0], "label": 3}, *index["clips"][1:]]}
    ),
    "a region without its end": lambda folder: rewrite_json(
        folder / INDEX,
        lambda index: {
            **index,
            "clips": [
                {
                    **clip,
                    "ground_truth": {
                        **clip["ground_truth"],
                        "evidence": [{"start_s": 0.1}] if clip["ground_truth"]["evidence"] else [],
                    },
                }
                for clip in index["clips"]
            ],
        },
    ),
}


def assert_same_corpus(found: Corpus, expected: Corpus) -> None:
    assert found.labels == expected.labels and len(found.clips) == len(expected.clips)
    for mine, theirs in zip(found.clips, expected.clips, strict=True):
        assert (mine.clip_id, mine.label, mine.split) == (theirs.clip_id, theirs.label, theirs.split)
        np.testing.assert_array_equal(mine.waveform, theirs.waveform)
        assert mine.ground_truth is not None and theirs.ground_truth is not None
        assert mine.ground_truth.evidence == theirs.ground_truth.evidence
        for cue, track in theirs.ground_truth.cue_tracks.tracks.items():
            np.testing.assert_array_equal(mine.ground_truth.cue_tracks.tracks[cue], track)


@pytest.mark.parametrize("damage", list(CORPUS_DAMAGE))
def test_a_damaged_generated_corpus_is_generated_again_and_rewritten(damage, registry, tiny_corpus, fresh_cache):
    plugin = registry.get("dataset", "synthetic")
    request = DatasetRequest(seed=0, options=TINY_CORPUS)
    assert_same_corpus(plugin.load(request), tiny_corpus)
    [folder] = (fresh_cache / "datasets").iterdir()
    CORPUS_DAMAGE[damage](folder)
    assert load_saved_corpus(folder) is None  # a miss, not a traceback or a misread corpus
    assert_same_corpus(plugin.load(request), tiny_corpus)
    restored = load_saved_corpus(folder)  # rewritten: the next load reads it
    assert restored is not None
    assert_same_corpus(restored, tiny_corpus)


# --- 1: the cue track cache -------------------------------------------------------------------------------------------


def _first_track(arrays: dict[str, np.ndarray]) -> str:
    return next(name for name in arrays if not name.startswith("__"))


CUE_DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated": cut_in_half,
    "a single .npy": lambda path: np.save(open(path, "wb"), np.zeros(3)),  # noqa: SIM115
    "voiced as numbers": lambda path: rewrite_arrays(
        path, lambda arrays: {**arrays, VOICED_KEY: arrays[VOICED_KEY].astype(np.float64)}
    ),
    "frame length NaN": lambda path: rewrite_arrays(path, lambda arrays: {**arrays, GRID_KEY: np.asarray(np.nan)}),
    "frame length negative": lambda path: rewrite_arrays(path, lambda arrays: {**arrays, GRID_KEY: np.asarray(-0.01)}),
    "a track of text": lambda path: rewrite_arrays(
        path, lambda arrays: {**arrays, _first_track(arrays): arrays[_first_track(arrays)].astype(str)}
    ),
    "a track one frame short": lambda path: rewrite_arrays(
        path, lambda arrays: {**arrays, _first_track(arrays): arrays[_first_track(arrays)][:-1]}
    ),
    "a cue the extractor lacks": lambda path: rewrite_arrays(
        path, lambda arrays: {**arrays, "made_up": np.zeros(arrays[VOICED_KEY].shape[0])}
    ),
    "voiced-only names as numbers": lambda path: rewrite_arrays(
        path, lambda arrays: {**arrays, VOICED_ONLY_KEY: np.arange(3)}
    ),
}


@pytest.mark.parametrize("damage", list(CUE_DAMAGE))
def test_a_damaged_cue_entry_is_extracted_again_and_rewritten(damage, tiny_corpus, fresh_cache):
    extractor = CountingLibrosa()
    clip = tiny_corpus.clips[0]
    first = cached_tracks(extractor, clip)
    [entry] = (fresh_cache / "cues").rglob("*.npz")
    CUE_DAMAGE[damage](entry)
    again = cached_tracks(extractor, clip)
    assert extractor.calls == 2
    assert set(again.tracks) == set(first.tracks) and again.seconds_per_frame == first.seconds_per_frame
    assert again.voiced.dtype == bool
    np.testing.assert_array_equal(again.voiced, first.voiced)
    for cue, track in first.tracks.items():
        np.testing.assert_array_equal(again.tracks[cue], track)
    cached_tracks(extractor, clip)
    assert extractor.calls == 2  # rewritten: read from now on


# --- 3: a NUL byte in a dataset's labels.csv --------------------------------------------------------------------------


def test_a_nul_byte_in_a_labels_row_skips_that_row_naming_its_line(registry, tmp_path):
    rows = ["path,label,speaker"]
    for index in range(6):
        write_wav(tmp_path / f"c{index}.wav", tone(0.5, hz=150 + 20 * index))
        rows.append(f"c{index}.wav,{('angry', 'sad')[index % 2]},s{index % 3}")
    rows += ["", "c\x001.wav,sad,s1", "c2.wav,s\x00ad,s2"]  # a blank line first: line numbers count it
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    corpus = registry.get("dataset", "folder").load(DatasetRequest(tmp_path, 0, {"test_fraction": "0.34"}))
    assert len(corpus.clips) == 6
    reasons = {skip.path: skip.reason for skip in corpus.skipped}
    nul = "holds a NUL byte (a damaged or binary file? save the table as UTF-8 CSV)"
    assert reasons == {"labels.csv line 9": f"labels.csv line 9: {nul}", "c2.wav": f"labels.csv line 10: {nul}"}


def test_a_nul_byte_in_the_header_is_one_line_naming_the_file(registry, tmp_path):
    write_wav(tmp_path / "c0.wav", tone(0.5))
    (tmp_path / "labels.csv").write_text("path,label\nc0.wav,sad\n", encoding="utf-16-le")  # UTF-16 without a BOM
    with pytest.raises(DataError) as raised:
        registry.get("dataset", "folder").load(DatasetRequest(tmp_path, 0, {}))
    message = str(raised.value)
    assert message == (
        f"dataset folder: {tmp_path / 'labels.csv'} line 1: "
        "holds a NUL byte (a damaged or binary file? save the table as UTF-8 CSV)"
    )


# --- 4: recordings are identified by their path, duplicates by their content ------------------------------------------


def test_same_file_name_in_two_folders_is_two_clips_and_only_a_byte_identical_copy_is_left_out(registry, tmp_path):
    rows = ["path,label,speaker"]
    for actor in range(1, 5):
        for offset, emotion in enumerate(("happy", "sad")):
            write_wav(tmp_path / f"actor{actor}" / f"{emotion}_01.wav", tone(0.5, hz=120 + 30 * actor + 7 * offset))
            rows.append(f"actor{actor}/{emotion}_01.wav,{emotion},actor{actor}")
    shutil.copytree(tmp_path / "actor1", tmp_path / "copy" / "actor1")  # a nested copy of part of the tree
    rows.append("copy/actor1/happy_01.wav,happy,actor1")
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    corpus = registry.get("dataset", "folder").load(DatasetRequest(tmp_path, 0, {"test_fraction": "0.25"}))
    assert sorted(clip.clip_id for clip in corpus.clips) == [
        f"actor{actor}/{emotion}_01" for actor in range(1, 5) for emotion in ("happy", "sad")
    ]
    assert [(skip.path, skip.reason) for skip in corpus.skipped] == [
        ("copy/actor1/happy_01.wav", "labels.csv line 10: duplicate of actor1/happy_01.wav (same content)")
    ]


def test_savee_in_its_original_layout_keeps_every_speakers_take(registry, tmp_path):
    """AudioData/DC/a01.wav and AudioData/JE/a01.wav are two speakers' recordings, not one name twice."""
    for index, speaker in enumerate(("DC", "JE", "JK", "KL")):
        for offset, take in enumerate(("a01", "h01", "n01")):
            write_wav(tmp_path / "AudioData" / speaker / f"{take}.wav", tone(0.5, hz=130 + 25 * index + 5 * offset))
    corpus = registry.get("dataset", "savee").load(DatasetRequest(tmp_path, 0, {}))
    assert sorted(clip.clip_id for clip in corpus.clips) == sorted(
        f"{speaker}_{take}" for speaker in ("DC", "JE", "JK", "KL") for take in ("a01", "h01", "n01")
    )
    assert corpus.skipped == ()


# --- 5: a header's declared rate and length bound nothing: the limits do ----------------------------------------------


@pytest.mark.parametrize("rate", [1, 999, 1_000_000])
def test_a_sample_rate_no_recording_has_is_refused_before_decoding(rate, tmp_path):
    path = tmp_path / "odd-rate.wav"
    path.write_bytes(wav_bytes(rate, frames=600))  # at 1 Hz: 1.2 KB declaring 10 minutes
    with pytest.raises(AudioFileError) as raised:
        read_audio(path, 16_000)
    assert str(raised.value) == f"sample rate {rate} Hz is outside 1000-384000 Hz (a damaged header?)"


def test_a_recording_longer_than_the_limit_is_refused_and_the_limit_can_be_raised(tmp_path, monkeypatch):
    path = tmp_path / "long.wav"
    path.write_bytes(wav_bytes(1_000, frames=601_000))  # 601 s at 1 kHz
    monkeypatch.delenv(MAX_SECONDS_ENV, raising=False)
    assert max_audio_seconds() == 600.0
    with pytest.raises(AudioFileError) as raised:
        read_audio(path, 16_000)
    assert str(raised.value) == "601.0 s long, over the 600 s limit (raise it with BSBENCH_MAX_AUDIO_SECONDS)"
    monkeypatch.setenv(MAX_SECONDS_ENV, "700")
    samples, facts = read_audio(path, 16_000)
    assert samples.shape == (601 * 16_000,) and facts.seconds == 601.0


@pytest.mark.parametrize("value", ["abc", "0", "-5", "nan", "inf"])
def test_a_limit_that_is_not_a_positive_number_is_one_line_naming_the_variable(value, monkeypatch):
    monkeypatch.setenv(MAX_SECONDS_ENV, value)
    with pytest.raises(UsageError) as raised:
        max_audio_seconds()
    assert str(raised.value) == f"BSBENCH_MAX_AUDIO_SECONDS={value!r}: must be a positive number of seconds"


def test_a_data_chunk_claiming_more_than_the_file_holds_reads_what_is_there(tmp_path, monkeypatch):
    """libsndfile caps a lying data chunk at the file's size; the length limit then judges what is really there."""
    monkeypatch.delenv(MAX_SECONDS_ENV, raising=False)
    path = tmp_path / "lying.wav"
    path.write_bytes(wav_bytes(16_000, frames=16_000 * 7200, held=16_000))  # declares 2 hours, holds 1 s
    samples, facts = read_audio(path, 16_000)
    assert samples.shape == (16_000,) and facts.seconds == 1.0


def test_a_corpus_file_with_an_impossible_rate_is_skipped_with_its_reason(registry, tmp_path):
    for speaker, code in (("03", "F"), ("08", "W"), ("09", "T")):
        write_wav(tmp_path / "wav" / f"{speaker}a01{code}a.wav", tone(1.0, hz=100 + int(speaker) * 10))
    (tmp_path / "wav" / "10a01Na.wav").write_bytes(wav_bytes(1, frames=600))
    corpus = registry.get("dataset", "emodb").load(DatasetRequest(tmp_path, 0, {"test_fraction": "0.34"}))
    assert len(corpus.clips) == 3
    assert [(skip.path, skip.reason) for skip in corpus.skipped] == [
        ("wav/10a01Na.wav", "sample rate 1 Hz is outside 1000-384000 Hz (a damaged header?)")
    ]


#: Resident memory past which the explain below is stopped: the bsbench CLI itself peaks near 1 GB.
MEMORY_CEILING_KB = 3 * 1024 * 1024


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads resident memory from /proc (Linux)")
def test_explain_on_a_14_kb_file_declaring_two_hours_is_one_line_in_bounded_memory(user_checkpoint, tmp_path):
    """Before the limits this file drove ``bsbench explain`` to 16.4 GB; it is stopped here at 3 GB if it grows."""
    audio = tmp_path / "two-hours.wav"
    audio.write_bytes(wav_bytes(1, frames=7200))
    assert audio.stat().st_size < 15_000
    err = tmp_path / "stderr.txt"
    command = [sys.executable, "-m", "bsbench", "explain", str(audio), "--checkpoint", str(user_checkpoint)]
    environment = {**os.environ, "BSBENCH_CACHE": str(tmp_path / "cache")}
    with err.open("w") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=environment)
    deadline, peak_kb = time.monotonic() + 300, 0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            peak_kb = usage.ru_maxrss
            break
        peak_kb = max(peak_kb, _resident_kb(process.pid))
        if peak_kb > MEMORY_CEILING_KB or time.monotonic() > deadline:
            process.kill()
            process.wait()
            pytest.fail(f"explain grew to {peak_kb / 1024:.0f} MB or ran past 300 s on a 14 KB file")
        time.sleep(0.1)
    assert process.returncode == 1, err.read_text()
    assert err.read_text() == f"error: {audio}: sample rate 1 Hz is outside 1000-384000 Hz (a damaged header?)\n"
    assert peak_kb < MEMORY_CEILING_KB


def _resident_kb(pid: int) -> int:
    """VmRSS of a running process in KB (0 once it has exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
