"""The README's two commands are what CI runs, each in a new shell, with the chosen python3."""

import importlib.util
import sys

import pytest
from template_helpers import ROOT

SCRIPT = ROOT / ".ci" / "readme_commands.py"
_spec = importlib.util.spec_from_file_location("readme_commands", SCRIPT)
readme_commands = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(readme_commands)


def readme_with(block: str) -> str:
    return f"# Title\n\n## The two commands\n\nSome words.\n\n```sh\n{block}```\n\nMore.\n"


def test_ci_runs_the_readme_commands_in_this_checkout():
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'exec "$python" .ci/readme_commands.py --here --python "$python"' in ci
    assert "python=/usr/bin/python3" in ci


def test_the_readme_shows_a_setup_command_and_the_test_command():
    setup, test = readme_commands.readme_commands((ROOT / "README.md").read_text())
    assert setup.startswith("python3 -m venv .venv && ")
    assert "pip install -r requirements-dev.txt" in setup
    assert setup.endswith("python generate.py")
    # The test command must not need anything outside .venv (PEP 668: no system pip install).
    assert test == ".venv/bin/tox -e lint,tests"


def test_comments_and_blank_lines_are_not_commands():
    block = "# set up\nfirst one\n\n# test\nsecond one\n"
    assert readme_commands.readme_commands(readme_with(block)) == ["first one", "second one"]


@pytest.mark.parametrize(
    "readme",
    [
        "# Title\n\nno such section\n",
        "## The two commands\n\nno block\n",
        readme_with("only one\n"),
        readme_with("one\ntwo\nthree\n"),
    ],
)
def test_a_readme_without_exactly_two_commands_is_an_error(readme):
    with pytest.raises(ValueError, match="two commands"):
        readme_commands.readme_commands(readme)


def test_each_command_runs_in_a_new_shell_with_the_given_python(tmp_path):
    commands = [
        "export LEFT_BY_FIRST=1 && python3 -c 'import sys; print(sys.executable)' > first.txt",
        'echo "${LEFT_BY_FIRST:-unset}" > second.txt',
    ]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    assert readme_commands.run_commands(commands, tmp_path, sys.executable, env) == 0
    assert (tmp_path / "first.txt").read_text().strip() == sys.executable
    assert (tmp_path / "second.txt").read_text().strip() == "unset"


def test_the_first_failure_stops_the_run_with_its_status(tmp_path):
    commands = ["exit 3", "touch ran.txt"]
    env = {"PATH": "/usr/bin:/bin"}
    assert readme_commands.run_commands(commands, tmp_path, sys.executable, env) == 3
    assert not (tmp_path / "ran.txt").exists()
