"""Suite files: the built-in suites, command-line overrides, and one-line errors for bad files."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from bsbench_plugins.datasets.corpora.loading import AudioCorpusOptions
from bsbench_plugins.datasets.synthetic.corpus import SyntheticOptions

from bsbench.core.errors import UsageError
from bsbench.core.parameters import build_parameters
from bsbench.grid.run_config import RunConfig
from bsbench.grid.runner import plan_methods
from bsbench.grid.suites import BUILTIN_DIR, Suite, apply_overrides, builtin_suites, load_suite
from bsbench.registry.loader import Registry
from bsbench.scoring.plans import plan_metrics

PAPER_OCCLUSION = "occlusion:window=1x10,stride=1x3"


def write_suite(folder: Path, text: str, name: str = "mine.toml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def test_builtin_suites_are_the_three_in_benchmarks() -> None:
    repository = Path(__file__).resolve().parents[1]
    assert repository / "benchmarks" / "suites" == BUILTIN_DIR
    assert builtin_suites() == ["paper", "quick", "synthetic"]


def test_paper_suite_runs_tess_and_crema_d_with_the_papers_methods() -> None:
    suite = load_suite("paper")
    assert suite.name == "paper"
    assert suite.path == BUILTIN_DIR / "paper.toml"
    assert "TESS" in suite.description
    assert [run.dataset for run in suite.runs] == ["tess", "crema-d"]
    for run in suite.runs:
        assert run.model == "resnet-small"
        assert run.methods == (PAPER_OCCLUSION, "crp", "gradcam")
        assert run.cues == "egemaps"
        assert run.metrics == ("faithfulness-correlation", "pixel-flipping", "cue-salience", "cue-plausibility")
        assert run.metric_preset == "paper"
        assert run.limit is None
        # No data_dir: the corpus plugins read $BSBENCH_DATA/<name>.
        assert run.data_dir is None
        assert dict(run.dataset_options) == {"length_policy": "reference"}
    assert {"dataset", "dataset_options", "methods", "cues", "limit", "metric_preset"} <= suite.entries
    assert "data_dir" not in suite.entries
    assert "seed" not in suite.entries


def test_synthetic_suite_uses_the_default_corpus() -> None:
    suite = load_suite("synthetic")
    (run,) = suite.runs
    assert run.dataset == "synthetic"
    assert dict(run.dataset_options) == {}
    assert run.methods == ("crp", "gradcam", "occlusion", "random")
    assert run.metrics == ("faithfulness-correlation", "pixel-flipping", "cue-salience", "cue-plausibility")
    assert (run.cues, run.metric_preset, run.limit) == ("librosa", "standard", 28)
    assert "dataset" not in suite.entries


def test_quick_suite_is_small() -> None:
    (run,) = load_suite("quick").runs
    assert run.dataset == "synthetic"
    assert dict(run.dataset_options) == {
        "speakers": "4",
        "clips_per_class": "2",
        "test_speakers": "1",
        "validation_speakers": "1",
    }
    assert run.epochs == 2
    assert run.methods == ("saliency", "random")
    assert run.metrics == ("faithfulness-correlation", "cue-salience")
    assert (run.metric_preset, run.limit) == ("quick", 7)


@pytest.mark.parametrize("name", ["paper", "synthetic", "quick"])
def test_builtin_suites_name_only_registered_plugins(name: str, registry: Registry) -> None:
    """A renamed plugin (or option) breaks this test instead of the user's run."""
    for run in load_suite(name).runs:
        registry.record("dataset", run.dataset)
        registry.record("model", run.model)
        registry.record("cues", run.cues)
        for spec in run.methods:
            registry.record("method", spec.partition(":")[0])
        for spec in run.metrics:
            registry.record("metric", spec.partition(":")[0])


def test_builtin_suites_plan_against_the_real_plugins(registry: Registry) -> None:
    """Method parameters, metric presets and dataset options are accepted by the plugins themselves."""
    for name in builtin_suites():
        for run in load_suite(name).runs:
            plan_methods(registry, run.methods)
            plan_metrics(registry, run.metrics, run.metric_preset)
            if run.dataset == "synthetic":
                build_parameters(SyntheticOptions, run.dataset_options, f"suite {name}")
            else:
                build_parameters(AudioCorpusOptions, run.dataset_options, f"suite {name}").check(run.dataset)


def test_overrides_win_only_for_the_given_fields() -> None:
    suite = load_suite("synthetic")
    (run,) = apply_overrides(suite, {"methods": ["saliency"], "limit": None, "seed": 3})
    assert run.methods == ("saliency",)
    assert run.limit is None
    assert run.seed == 3
    # Everything not given keeps the suite's value, not RunConfig's default.
    assert run.metrics == suite.runs[0].metrics
    assert run.cues == "librosa"
    assert run.metric_preset == "standard"
    assert apply_overrides(suite, {}) == suite.runs


def test_option_overrides_merge_key_by_key() -> None:
    runs = apply_overrides(load_suite("paper"), {"dataset_options": {"sample_rate": "22050"}})
    assert [dict(run.dataset_options) for run in runs] == [{"length_policy": "reference", "sample_rate": "22050"}] * 2
    (quick,) = apply_overrides(load_suite("quick"), {"dataset_options": {"speakers": "6"}})
    assert quick.dataset_options["speakers"] == "6"
    assert quick.dataset_options["clips_per_class"] == "2"


def test_out_gets_one_folder_per_dataset(tmp_path: Path) -> None:
    runs = apply_overrides(load_suite("paper"), {"out": tmp_path})
    assert [run.out for run in runs] == [tmp_path / "tess", tmp_path / "crema-d"]
    (single,) = apply_overrides(load_suite("quick"), {"out": tmp_path})
    assert single.out == tmp_path


def test_dataset_override_selects_the_suites_own_table() -> None:
    suite = load_suite("paper")
    (tess,) = apply_overrides(suite, {"dataset": "tess", "out": Path("results")})
    assert tess.dataset == "tess"
    assert dict(tess.dataset_options) == {"length_policy": "reference"}
    assert tess.out == Path("results")
    (other,) = apply_overrides(suite, {"dataset": "ravdess"})
    # A dataset the suite does not list starts from the shared settings, not from tess's options.
    assert (other.dataset, dict(other.dataset_options), other.cues) == ("ravdess", {}, "egemaps")


def test_one_data_dir_for_several_datasets_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"--data-dir: suite paper runs 2 datasets \(tess, crema-d\)"):
        apply_overrides(load_suite("paper"), {"data_dir": tmp_path})
    (run,) = apply_overrides(load_suite("paper"), {"dataset": "tess", "data_dir": tmp_path})
    assert run.data_dir == tmp_path


def test_one_checkpoint_for_several_datasets_is_refused(tmp_path: Path) -> None:
    paper = load_suite("paper")
    unnamed = {"checkpoint": {"": tmp_path / "model.pt"}}
    with pytest.raises(UsageError, match=r"this suite runs 2 datasets \(tess, crema-d\).*--checkpoint tess=PATH"):
        apply_overrides(paper, unnamed)
    [only] = apply_overrides(paper, {**unnamed, "dataset": "tess"})
    assert only.checkpoint == tmp_path / "model.pt" and only.dataset == "tess"


def test_each_dataset_of_a_suite_takes_its_own_checkpoint_and_label_map(tmp_path: Path) -> None:
    paper = load_suite("paper")
    checkpoints = {"tess": tmp_path / "tess.pth", "crema-d": tmp_path / "crema.pth"}
    tess, crema = apply_overrides(paper, {"checkpoint": checkpoints, "label_map": {"crema-d": tmp_path / "map.json"}})
    assert (tess.checkpoint, tess.label_map) == (tmp_path / "tess.pth", None)
    assert (crema.checkpoint, crema.label_map) == (tmp_path / "crema.pth", tmp_path / "map.json")
    # a dataset given no checkpoint is trained as usual
    _, trained = apply_overrides(paper, {"checkpoint": {"tess": tmp_path / "tess.pth"}})
    assert trained.dataset == "crema-d" and trained.checkpoint is None
    with pytest.raises(UsageError, match=r"--checkpoint crema=.*crema is not a dataset of this run \(it runs tess, "):
        apply_overrides(paper, {"checkpoint": {"crema": tmp_path / "crema.pth"}})


def test_an_override_that_is_not_a_run_field_is_a_bug() -> None:
    with pytest.raises(ValueError, match="suite"):
        apply_overrides(load_suite("quick"), {"suite": "paper"})


def test_a_toml_path_outside_the_repository_loads_and_resolves_data_dirs(tmp_path: Path) -> None:
    folder = tmp_path / "suites"
    folder.mkdir()
    path = write_suite(
        folder,
        """
        description = "two corpora"
        methods = ["gradcam"]
        emotions = ["angry", "sad"]
        limit = 0
        model_options = { depth = 2, pretrained = false }

        [[datasets]]
        name = "folder"
        data_dir = "../corpora/mine"
        options = { labels = "labels.csv", test_fraction = 0.25 }

        [[datasets]]
        name = "tess"
        data_dir = "/data/tess"
        emotions = ["happy"]
        """,
    )
    suite = load_suite(str(path))
    assert isinstance(suite, Suite)
    assert (suite.name, suite.description, suite.path) == ("mine", "two corpora", path.resolve())
    mine, tess = suite.runs
    assert mine.data_dir == folder.resolve() / "../corpora/mine"
    assert mine.data_dir.resolve() == (tmp_path / "corpora" / "mine").resolve()
    assert dict(mine.dataset_options) == {"labels": "labels.csv", "test_fraction": "0.25"}
    assert mine.emotions == ("angry", "sad")
    assert tess.data_dir == Path("/data/tess")
    assert tess.emotions == ("happy",)
    assert dict(mine.model_options) == {"depth": "2", "pretrained": "false"}
    assert mine.limit is None
    # Untouched fields keep RunConfig's defaults.
    assert (mine.model, mine.metrics) == (RunConfig().model, RunConfig().metrics)
    assert suite.entries == frozenset(
        {"methods", "emotions", "limit", "model_options", "dataset", "data_dir", "dataset_options"}
    )


def test_home_in_data_dir_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = write_suite(tmp_path, '[[datasets]]\nname = "tess"\ndata_dir = "~/tess"\n')
    (run,) = load_suite(str(path)).runs
    assert run.data_dir == tmp_path / "home" / "tess"


def test_environment_references_are_not_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BSBENCH_DATA", "/elsewhere")
    path = write_suite(tmp_path, '[[datasets]]\nname = "tess"\ndata_dir = "${BSBENCH_DATA}/tess"\n')
    (run,) = load_suite(str(path)).runs
    assert run.data_dir == tmp_path / "${BSBENCH_DATA}" / "tess"


def test_unknown_name_lists_the_builtin_suites() -> None:
    with pytest.raises(UsageError) as caught:
        load_suite("papr")
    assert (
        str(caught.value)
        == "unknown suite 'papr'; built-in suites: paper, quick, synthetic (or the path of a .toml file)"
    )


def test_a_name_cannot_reach_outside_the_suites_folder() -> None:
    with pytest.raises(UsageError, match=re.escape("unknown suite '../benchmarks/suites/paper'")):
        load_suite("../benchmarks/suites/paper")


def test_a_missing_toml_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "absent.toml"
    with pytest.raises(UsageError, match=re.escape(f"--suite {missing}: no such file")):
        load_suite(str(missing))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('methods = "crp"\n', "key 'methods': expected an array of strings, got a string"),
        ('limit = "ten"\n', "key 'limit': expected an integer, got a string"),
        ("limit = true\n", "key 'limit': expected an integer, got a boolean"),
        ("limit = -1\n", "key 'limit': -1 is below the least allowed value, 0"),
        ("epochs = 0\n", "key 'epochs': 0 is below the least allowed value, 1"),
        ("methods = []\n", "key 'methods': expected at least one entry, got an empty array"),
        ('metrics = ["pixel-flipping:steps"]\n', "key 'metrics': 'pixel-flipping:steps': expected key=value"),
        ("model = 3\n", "key 'model': expected a non-empty string, got an integer"),
        ('emotions = ["angry", 1]\n', "key 'emotions': expected an array of strings"),
        ("model_options = 3\n", "key 'model_options': expected a table of options, got an integer"),
        ("model_options = { source = [1] }\n", "key 'model_options.source': expected a string or number, got an array"),
        ("description = 1\n", "key 'description': expected a string, got an integer"),
        ('modle = "crnn"\n', "key 'modle' is unknown; valid keys: batch_size, cues, datasets, description, emotions"),
        ('device = "cuda"\n', "key 'device' is not set by a suite (pass --device on the command line)"),
        ('out = "results"\n', "key 'out' is not set by a suite (pass --out on the command line)"),
        ('dataset = "tess"\n', "key 'dataset' belongs in a [[datasets]] table (as name)"),
        ('datasets = "tess"\n', "key 'datasets': expected one or more [[datasets]] tables"),
        ('[[datasets]]\ndata_dir = "x"\n', "key 'datasets[1]': every [[datasets]] table needs a name"),
        ('[[datasets]]\nname = "tess"\nfolder = "x"\n', "key 'datasets[1].folder' is unknown; valid keys: data_dir,"),
        ('[[datasets]]\nname = "tess"\noptions = "a=b"\n', "key 'datasets[1].options': expected a table of options"),
        ('[[datasets]]\nname = "tess"\n[[datasets]]\nname = "tess"\n', "key 'datasets': tess listed more than once"),
        ('[[datasets]]\nname = "tess"\n[[datasets]]\nname = 2\n', "key 'datasets[2].name': expected a non-empty"),
    ],
)
def test_bad_suites_give_one_line_naming_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write_suite(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        load_suite(str(path))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"suite {path.resolve()}: ")
    assert expected in message


def test_toml_syntax_errors_carry_the_parsers_position(tmp_path: Path) -> None:
    path = write_suite(tmp_path, 'model = "resnet-small"\nmethods = [crp]\n')
    with pytest.raises(UsageError) as caught:
        load_suite(str(path))
    message = str(caught.value)
    assert message.startswith(f"suite {path.resolve()}: not valid TOML: ")
    assert "line 2" in message
    assert "\n" not in message


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin.toml"
    path.write_bytes('description = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(UsageError, match="not valid TOML: the file is not UTF-8 text"):
        load_suite(str(path))


def test_run_with_a_suite_takes_its_entries_and_the_typed_flags(tmp_path):
    from typer.testing import CliRunner

    from bsbench.cli.app import app

    out = tmp_path / "quick"
    done = CliRunner().invoke(app, ["run", "--suite", "quick", "--limit", "3", "-m", "random", "--out", str(out), "-q"])
    assert done.exit_code == 0, done.output
    config = json.loads((out / "manifest.json").read_text())["config"]
    assert config["limit"] == 3 and config["methods"] == ["random"]  # typed flags win
    assert config["epochs"] == 2 and config["metric_preset"] == "quick"  # the rest comes from the suite
    assert config["dataset_options"]["speakers"] == "4"
    plan = CliRunner().invoke(app, ["run", "--suite", "quick", "--limit", "3", "-m", "random", "--dry-run"])
    assert "explanations: 0 to compute, 1 cached" in plan.stdout
