"""Run settings are declared once, on RunConfig: the CLI options and the suite keys follow the declarations."""

from __future__ import annotations

import dataclasses

import click
import pytest
import typer

from bsbench.cli.app import app
from bsbench.cli.options import RUN_OPTION_FIELDS, config_values, option_parameter
from bsbench.core.errors import UsageError
from bsbench.grid.run_config import RunConfig, RunSetting, run_settings, single_run
from bsbench.grid.suites import load_suite


def _run_command() -> click.Command:
    return typer.main.get_command(app).commands["run"]


def _defaults() -> dict:
    command = _run_command()
    return {parameter.name: parameter.get_default(click.Context(command)) for parameter in command.params}


def test_every_field_declares_its_setting():
    assert [f.name for f in dataclasses.fields(RunConfig)] == list(run_settings())
    assert all(isinstance(setting, RunSetting) and setting.help for setting in run_settings().values())


def test_bsbench_run_has_one_option_per_field_and_its_own_four():
    options = {opt for parameter in _run_command().params for opt in parameter.opts}
    declared = {setting.option for setting in run_settings().values()}
    assert declared <= options
    assert options - declared == {"--suite", "--quiet", "-q", "--dry-run", "--keep-going", "-m"}
    assert set(RUN_OPTION_FIELDS.values()) == set(run_settings())


def test_parsed_options_become_field_values():
    parsed = {
        parameter.name: parameter.get_default(click.Context(_run_command())) for parameter in _run_command().params
    }
    parsed.update(limit=0, method=["saliency"], no_cache=True, emotions="angry, sad", dataset_option=["speakers=4"])
    values = config_values(parsed)
    assert single_run(values) == RunConfig(
        limit=None, methods=("saliency",), use_cache=False, emotions=("angry", "sad"), dataset_options={"speakers": "4"}
    )


def test_defaults_typed_nowhere_give_the_default_run():
    parsed = {
        parameter.name: parameter.get_default(click.Context(_run_command())) for parameter in _run_command().params
    }
    assert single_run(config_values(parsed)) == RunConfig()


def test_a_suite_accepts_exactly_the_settings_declared_for_it(tmp_path):
    settings = run_settings()
    for name, setting in settings.items():
        path = tmp_path / f"{name}.toml"
        path.write_text(f"{setting.suite_key or name} = 1\n")
        if setting.suite == "command line":
            with pytest.raises(UsageError, match=f"pass {setting.option} on the command line"):
                load_suite(str(path))
        elif setting.suite == "dataset":
            with pytest.raises(UsageError, match=r"belongs in a \[\[datasets\]\] table|is unknown"):
                load_suite(str(path))
        else:
            try:
                load_suite(str(path))
            except UsageError as error:  # the key is known; only the value's form may be refused
                assert "unknown" not in str(error) and "not set by a suite" not in str(error), str(error)


def test_option_names_follow_the_flag():
    assert option_parameter(run_settings()["dataset_options"]) == "dataset_option"
    assert option_parameter(run_settings()["use_cache"]) == "no_cache"
