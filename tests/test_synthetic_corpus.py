"""The synthetic corpus's promises: its cue controls move the measured cues, its truth is true, its masks exact."""

from __future__ import annotations

import dataclasses
import itertools
import json
import time

import librosa
import numpy as np
import parselmouth
import pytest
from bsbench_plugins.cues.librosa_cues import LibrosaCues
from bsbench_plugins.datasets.synthetic.emotions import load_emotion_table
from bsbench_plugins.datasets.synthetic.utterance import synthesise_clip
from bsbench_plugins.datasets.synthetic.voice import Speaker, VoiceSettings
from parselmouth.praat import call

from bsbench.audio.frontend import LogMelFrontEnd
from bsbench.core.errors import DataError, UsageError
from bsbench.corpus.store import ARRAYS, INDEX
from bsbench.cues.accuracy import cue_accuracy
from bsbench.grid.runner import select_clips
from bsbench.interfaces.protocols import DatasetRequest
from tests.conftest import SMALL_CORPUS

SPEAKER = Speaker("probe", f0_hz=120.0, formant_scale=1.0, syllables_per_second=4.2)
NEUTRAL = VoiceSettings()
RATE = 16_000


def render(segment=None, seed=3, **shifts):
    """One 2 s clip of the probe speaker with ``shifts`` applied to the neutral voice."""
    voice = dataclasses.replace(NEUTRAL, **shifts)
    return synthesise_clip(
        "probe",
        SPEAKER,
        NEUTRAL,
        voice,
        ("probe",),
        [] if segment is None else [segment],
        np.random.default_rng(seed),
        RATE,
        2.0,
        "whole" if segment is None else "localised",
    )


def praat(utterance):
    """Praat's F0 track (Hz, NaN unvoiced, 10 ms), local jitter %, local shimmer %, mean HNR dB."""
    sound = parselmouth.Sound(np.asarray(utterance.waveform, dtype=float), RATE)
    points = call(sound, "To PointProcess (periodic, cc)", 60, 600)
    harmonicity = sound.to_harmonicity_cc(0.01, 60).values
    pitch = sound.to_pitch_ac(time_step=0.01, pitch_floor=60, pitch_ceiling=600)
    f0 = np.array([pitch.get_value_at_time(t) for t in np.arange(201) * 0.01])
    return {
        "f0": f0,
        "jitter": 100 * call(points, "Get jitter (local)", 0, 0, 0.0001, 0.02, 1.3),
        "shimmer": 100 * call([sound, points], "Get shimmer (local)", 0, 0, 0.0001, 0.02, 1.3, 1.6),
        "hnr": float(harmonicity[harmonicity > -200].mean()),
    }


def voiced_alpha_ratio(utterance) -> float:
    """dB of 1-5 kHz over 0.05-1 kHz energy in the frames the ground truth calls voiced."""
    power = np.abs(librosa.stft(utterance.waveform, n_fft=512, hop_length=160, win_length=400)) ** 2
    frequencies = librosa.fft_frequencies(sr=RATE, n_fft=512)
    voiced = power[:, utterance.ground_truth.cue_tracks.voiced[: power.shape[1]]]
    high = voiced[(frequencies >= 1000) & (frequencies < 5000)].sum()
    return float(10 * np.log10(high / voiced[(frequencies >= 50) & (frequencies < 1000)].sum()))


# --- each cue control moves what Praat and librosa measure ------------------------------


def test_voice_quality_controls_move_praat_measures():
    neutral = praat(render())
    assert praat(render(jitter=2.0))["jitter"] > 1.8 * neutral["jitter"]
    assert praat(render(shimmer=10.0))["shimmer"] > 1.5 * neutral["shimmer"]
    hnr = [praat(render(hnr=value))["hnr"] for value in (10.0, 22.0, 30.0)]
    assert hnr[0] < hnr[1] - 3 < hnr[2] - 3


def test_pitch_controls_move_praat_f0():
    neutral, raised = praat(render())["f0"], praat(render(pitch_level=3.0))["f0"]
    ratio = np.nanmedian(raised) / np.nanmedian(neutral)
    assert ratio == pytest.approx(2 ** (3 / 12), rel=0.02)

    def spread(f0):
        return np.nanstd(12 * np.log2(f0[np.isfinite(f0)]))

    assert spread(praat(render(pitch_variability=6.0))["f0"]) > 1.5 * spread(neutral)
    rising = render(pitch_contour=12.0)
    last = rising.ground_truth.cue_tracks.tracks["pitch_contour"]
    assert np.nanmax(last) == pytest.approx(12.0, rel=0.1)
    f0 = praat(rising)["f0"]
    end = np.flatnonzero(np.isfinite(f0))[-1]
    assert f0[end - 2] / np.nanmedian(f0) > 2 ** (6 / 12)


def test_loudness_rate_and_shrillness_controls():
    neutral = render()
    louder = render(loudness=6.0)
    level = 20 * np.log10(np.std(louder.waveform) / np.std(neutral.waveform))
    assert level == pytest.approx(6.0, abs=0.3)

    def onsets(utterance):
        return len(librosa.onset.onset_detect(y=utterance.waveform, sr=RATE, units="time"))

    assert onsets(render(speech_rate=-35.0)) < onsets(neutral) < onsets(render(speech_rate=50.0))
    alphas = [voiced_alpha_ratio(render(shrillness=value)) for value in (-4.0, 0.0, 6.0)]
    assert alphas[0] + 1.5 < alphas[1] < alphas[2] - 3


# --- the ground truth is true ----------------------------------------------------------


def test_localised_mask_covers_exactly_the_altered_segment():
    segment = (0.62, 1.42)
    angry = load_emotion_table().voice("angry")
    emotional = synthesise_clip(
        "c", SPEAKER, NEUTRAL, angry, ("x",), [segment], np.random.default_rng(7), RATE, 2.0, "localised"
    )
    neutral = synthesise_clip(
        "c", SPEAKER, NEUTRAL, NEUTRAL, ("x",), [segment], np.random.default_rng(7), RATE, 2.0, "localised"
    )
    inside = np.zeros(emotional.waveform.shape[0], dtype=bool)
    inside[round(segment[0] * RATE) : round(segment[1] * RATE)] = True
    difference = np.abs(emotional.waveform - neutral.waveform)
    assert difference[~inside].max() == 0.0
    assert difference[inside].mean() > 0.01
    grid = LogMelFrontEnd().grid
    mask = emotional.ground_truth.evidence_mask(grid)
    frame_times = np.arange(grid.n_frames) * grid.seconds_per_frame
    expected = (frame_times >= segment[0]) & (frame_times < segment[1])
    assert mask.shape == (128, 134)
    assert (mask == expected[None, :]).all()
    truth = emotional.ground_truth.cue_tracks
    times = np.arange(truth.n_frames) * truth.seconds_per_frame
    rates = truth.tracks["speech_rate"]
    assert np.allclose(rates[(times >= segment[0]) & (times < segment[1])], 4.2 * (1 + angry.speech_rate / 100))
    assert np.allclose(rates[times < segment[0]], 4.2)


def test_librosa_and_praat_recover_the_true_f0_and_loudness(small_corpus):
    clips = select_clips(small_corpus.clips, 14)
    table = cue_accuracy(LibrosaCues(), clips).set_index("cue")
    assert table.loc["pitch_level", "within_clip"] < 2.0  # median |F0 error| %
    assert table.loc["voicing", "within_clip"] > 0.95
    assert table.loc["loudness", "within_clip"] > 0.95  # median per-clip Pearson r
    assert table.loc["pitch_level", "between_clip_spearman"] > 0.95
    errors = []
    for clip in clips:
        truth = clip.ground_truth.cue_tracks
        f0 = praat(clip)["f0"][: truth.n_frames]
        both = truth.voiced & np.isfinite(f0)
        errors.append(np.abs(f0[both] / (27.5 * 2 ** (truth.tracks["pitch_level"][both] / 12)) - 1))
    assert 100 * np.median(np.concatenate(errors)) < 2.0


def test_ground_truth_follows_the_emotion_table(small_corpus):
    table = load_emotion_table()
    starts = set()
    for clip in small_corpus.clips:
        truth = clip.ground_truth
        assert truth.carrying_cues == table.carrying_cues(clip.label)
        assert truth.placement == "accented"
        if clip.label == "neutral":
            assert truth.evidence == () and truth.carrying_cues == ()
        else:
            # two accented words and the phrase end, in order, apart, full band, inside the clip
            assert len(truth.evidence) == 3 and all(r[2:] == (0.0, 8000.0) for r in truth.evidence)
            spans = [r[:2] for r in truth.evidence]
            assert all(a[1] + 0.2 <= b[0] for a, b in itertools.pairwise(spans))
            assert spans[0][0] >= 0.05 and 1.88 <= spans[-1][1] <= 1.95
            assert all(0.3 <= end - start <= 0.45 for start, end in spans)
            starts.add(round(spans[1][0], 2))
        tracks = truth.cue_tracks
        assert tracks.seconds_per_frame == 0.01 and tracks.n_frames == 201
        assert np.isnan(tracks.tracks["pitch_level"][~tracks.voiced]).all()
    assert len(starts) > 10  # the evidence moves in time from clip to clip


def test_whole_placement_shifts_every_frame(registry):
    corpus = registry.get("dataset", "synthetic").load(
        DatasetRequest(seed=0, options={**SMALL_CORPUS, "placement": "whole"})
    )
    table = load_emotion_table()
    for clip in corpus.clips:
        truth = clip.ground_truth
        assert truth.placement == "whole"
        assert truth.evidence == (() if clip.label == "neutral" else ((0.0, 2.0, 0.0, 8000.0),))
        assert np.nanmean(truth.cue_tracks.tracks["jitter"]) == pytest.approx(table.voice(clip.label).jitter)


def test_accented_clips_are_neutral_outside_their_evidence(registry, small_corpus):
    """Each phrase comes from its own random stream: outside the spans an angry clip is its neutral twin."""
    from bsbench_plugins.datasets.synthetic.corpus import SyntheticOptions, emotional_spans

    table = load_emotion_table()
    spans = emotional_spans(SyntheticOptions(), np.random.default_rng(11))
    render = {
        label: synthesise_clip(
            "c", SPEAKER, NEUTRAL, table.voice(label), ("x",), spans, np.random.default_rng(4), RATE, 2.0, "accented"
        )
        for label in ("angry", "neutral")
    }
    inside = np.zeros(2 * RATE, dtype=bool)
    for start, end in spans:
        inside[round(start * RATE) : round(end * RATE)] = True
    difference = np.abs(render["angry"].waveform - render["neutral"].waveform)
    assert difference[~inside].max() < 1e-6 < difference[inside].max()
    truth = render["angry"].ground_truth.cue_tracks
    assert np.isfinite(truth.tracks["pitch_level"][truth.voiced]).all() and truth.voiced.sum() > 50


# --- generation: deterministic, cached without pickle, fast ----------------------------


def test_cached_corpus_is_identical_and_pickle_free(registry, small_corpus, isolated_cache):
    dataset = registry.get("dataset", "synthetic")
    cached = dataset.load(DatasetRequest(seed=0, options=SMALL_CORPUS))
    fresh = dataset.load(DatasetRequest(seed=0, options={**SMALL_CORPUS, "cache": "false"}))
    assert cached.parameters == fresh.parameters  # they key the model cache: no retraining for cache=false
    for a, b in zip(cached.clips, fresh.clips, strict=True):
        assert np.array_equal(a.waveform, b.waveform) and a.split == b.split
        for cue in a.ground_truth.cue_tracks.tracks:
            assert np.array_equal(
                a.ground_truth.cue_tracks.tracks[cue], b.ground_truth.cue_tracks.tracks[cue], equal_nan=True
            )
        assert a.ground_truth.evidence == b.ground_truth.evidence
    folders = list((isolated_cache / "datasets").iterdir())
    assert folders and all({p.name for p in folder.iterdir()} == {ARRAYS, INDEX} for folder in folders)
    with np.load(folders[0] / ARRAYS, allow_pickle=False) as arrays:
        assert all(arrays[key].dtype != object for key in arrays.files)


def test_generation_is_much_faster_than_real_time(registry):
    options = {"speakers": "3", "clips_per_class": "2", "test_speakers": "1", "validation_speakers": "1"}
    started = time.perf_counter()
    corpus = registry.get("dataset", "synthetic").load(DatasetRequest(seed=5, options={**options, "cache": "false"}))
    speed = sum(c.waveform.shape[0] / c.sample_rate for c in corpus.clips) / (time.perf_counter() - started)
    assert speed > 20  # measured ~300x on one core; benchmarks/speed/synthetic_generation.py has the figure


def test_options_select_classes_placement_and_duration(registry):
    corpus = registry.get("dataset", "synthetic").load(
        DatasetRequest(
            seed=1,
            options={**SMALL_CORPUS, "classes": "sad,angry", "placement": "localised", "duration": "3", "segment": "1"},
        )
    )
    assert corpus.labels == ("angry", "sad")
    assert {clip.waveform.shape[0] for clip in corpus.clips} == {48_000}
    for clip in corpus.clips:
        ((start, end, _, _),) = clip.ground_truth.evidence
        assert end - start == pytest.approx(1.0) and start >= 0.15 and end <= 2.85


# --- bad configuration: one line naming the field ---------------------------------------


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"classes": "angry,joy"}, "unknown class 'joy'"),
        ({"duration": "-1"}, "option duration=-1.0"),
        ({"placement": "middle"}, "option placement='middle'"),
        ({"placement": "localised", "segment": "1.9"}, "option segment=1.9"),
        ({"speakers": "2"}, "option speakers=2"),
    ],
)
def test_bad_options_name_the_option(registry, options, named):
    with pytest.raises(UsageError, match=named):
        registry.get("dataset", "synthetic").load(DatasetRequest(options={**SMALL_CORPUS, **options}))


def _table_with(tmp_path, edit):
    data = json.loads(load_emotion_table().text)
    edit(data)
    path = tmp_path / "emotions.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda d: d["emotions"]["angry"].update(loudness=[-3.0, ["JL"]]), r"emotions\.angry\.loudness: shift -3"),
        (lambda d: d["emotions"]["neutral"].update(hnr=[2.0, ["bsbench"]]), r"emotions\.neutral\.hnr: the neutral"),
        (lambda d: d["emotions"]["sad"].update(tempo=[1.0, ["JL"]]), r"emotions\.sad\.tempo: unknown cue"),
        (lambda d: d["emotions"]["fear"].update(jitter=[12.0, ["JL"]]), r"emotions\.fear\.jitter: gives a voice"),
        (lambda d: d["emotions"]["happy"].update(hnr=[4.0, ["nobody"]]), r"emotions\.happy\.hnr: cites \['nobody'\]"),
        (lambda d: d["emotions"].update(calm={}), r"emotions\.calm: shifts no cue"),
        (lambda d: d.update(follows="folk-wisdom"), r"follows: expert profile 'folk-wisdom' is not built in"),
    ],
)
def test_contradictory_emotion_tables_are_refused(tmp_path, registry, edit, named):
    path = _table_with(tmp_path, edit)
    with pytest.raises(DataError, match=named) as error:
        registry.get("dataset", "synthetic").load(DatasetRequest(options={**SMALL_CORPUS, "emotions": str(path)}))
    assert "\n" not in str(error.value) and str(path) in str(error.value)


def test_a_key_given_twice_is_refused(tmp_path):
    text = load_emotion_table().text.replace('"neutral": {},', '"neutral": {}, "neutral": {"hnr": [1, ["bsbench"]]},')
    path = tmp_path / "twice.json"
    path.write_text(text)
    with pytest.raises(DataError, match="key 'neutral' is given twice"):
        load_emotion_table(path)


def test_a_table_may_opt_out_of_the_consensus_to_build_implausible_classes(tmp_path):
    def contrary(data):
        data["follows"] = None
        data["emotions"]["angry"]["loudness"] = [-10.0, ["bsbench"]]

    table = load_emotion_table(_table_with(tmp_path, contrary))
    assert table.voice("angry").loudness == -10.0


def test_emotion_tables_are_registered_as_profiles(registry):
    profiles = registry.profiles()
    answer_key = profiles["synthetic-emotions"]
    assert answer_key.cells["sad"]["loudness"].direction == -1
    assert answer_key.cells["angry"]["shrillness"].sources == ("JL", "S03")
    assert "neutral" not in answer_key.cells
    consensus = profiles["consensus"]
    assert consensus.cells["fear"]["pitch_variability"].direction is None
    assert consensus.cells["disgust"]["speech_rate"].sources == ("MA",)
