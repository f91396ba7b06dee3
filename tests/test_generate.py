"""generate.py: writes build/, byte-identical every run, --check catches drift, stdout empty."""

import os
import shutil
import subprocess
import sys

import pytest
from template_helpers import BUILD_DIR, ROOT

import generate
from templates.config import Config, ConfigError
from templates.parent import build_all
from templates.readme import sample_email


def run_generate(*args: str, cwd=ROOT, **options) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "generate.py", *args], cwd=cwd, capture_output=True, text=True, **options
    )


def rendered_files() -> dict[str, str]:
    templates = build_all(Config())
    files, _ = generate.render({name: t.to_dict() for name, t in templates.items()})
    return files


def test_rendering_is_byte_identical_from_run_to_run():
    assert rendered_files() == rendered_files()


def test_committed_build_matches_the_code():
    result = run_generate("--check")
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stderr
    assert result.stdout == ""


def test_check_names_each_stale_and_unexpected_file(tmp_path, monkeypatch):
    monkeypatch.setattr(generate, "README", ROOT / "README.md")
    build_copy = tmp_path / "build"
    shutil.copytree(BUILD_DIR, build_copy)
    (build_copy / "network.yaml").write_text("stale\n")
    (build_copy / "leftover.yaml").write_text("old stack\n")
    (build_copy / "logging.yaml").unlink()
    monkeypatch.setattr(generate, "BUILD_DIR", build_copy)
    assert generate.main(["--check"]) == 1
    assert sorted(generate.stale_files(rendered_files(), build_copy)) == [
        "leftover.yaml",
        "logging.yaml",
        "network.yaml",
    ]


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """generate.py pointed at a scratch build/ and a scratch copy of the README."""
    readme = tmp_path / "README.md"
    shutil.copy(ROOT / "README.md", readme)
    monkeypatch.setattr(generate, "BUILD_DIR", tmp_path / "build")
    monkeypatch.setattr(generate, "README", readme)
    return tmp_path


def test_generate_writes_every_file_and_prints_one_line_each_to_stderr(scratch, capsys):
    assert generate.main([]) == 0
    printed = capsys.readouterr()
    assert printed.out == ""
    lines = printed.err.splitlines()
    written = sorted(path.name for path in (scratch / "build").iterdir())
    assert written == sorted(rendered_files())
    assert len(lines) == len(written)
    assert all(line.endswith(" bytes") for line in lines)
    assert sum("resources" in line for line in lines) == len(build_all(Config()))
    for name in written:
        assert (scratch / "build" / name).read_bytes() == (BUILD_DIR / name).read_bytes()
    assert (scratch / "README.md").read_bytes() == (ROOT / "README.md").read_bytes()


def test_unknown_arguments_get_a_usage_error():
    result = run_generate("--frobnicate")
    assert result.returncode == 2
    assert "usage:" in result.stderr
    assert "--frobnicate" in result.stderr
    assert result.stdout == ""


def test_help_is_printed_to_stderr_and_exits_zero():
    result = run_generate("--help")
    assert result.returncode == 0
    assert "usage: generate.py [-h] [--check]" in result.stderr
    assert "--check" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "bad",
    [
        {"batch_size": 0},
        {"maximum_concurrency": 1},
        {"watched_statuses": ("Pending",)},
        {"default_log_retention_days": 42},
        {"target_retry_attempts": 186},
        {"email_split": "region"},
        {"emails_per_invocation": 11},
        {"state_ttl_days": 0},
        {"report_retention_days": 0},
    ],
)
def test_bad_build_time_config_is_rejected_with_a_reason(bad):
    with pytest.raises(ConfigError, match=next(iter(bad))):
        Config(**bad).validate()


def test_generate_rejects_a_bad_config_with_one_line_and_writes_nothing(
    scratch, monkeypatch, capsys
):
    monkeypatch.setattr(generate, "Config", lambda: Config(batch_size=20_000))
    readme_before = (scratch / "README.md").read_bytes()
    assert generate.main([]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "batch_size must be 1-10000" in error
    assert not (scratch / "build").exists()
    assert (scratch / "README.md").read_bytes() == readme_before


def test_check_fails_when_a_readme_section_is_stale(scratch, capsys):
    assert generate.main([]) == 0
    readme = scratch / "README.md"
    readme.write_text(readme.read_text().replace("| `FleetMode` |", "| `FleetModes` |"))
    capsys.readouterr()
    assert generate.main(["--check"]) == 1
    assert "stale: README.md" in capsys.readouterr().err


def test_readme_without_a_section_marker_is_an_error(scratch):
    readme = scratch / "README.md"
    readme.write_text(readme.read_text().replace("<!-- generated:security -->", ""))
    with pytest.raises(ValueError, match="generated:security"):
        generate.main([])


def test_sample_email_is_what_the_handler_publishes_for_a_failed_and_a_successful_run():
    sample = sample_email()
    assert "Subject: SSM associations: 1 failed (1 new), 0 recovered, 1 ok" in sample
    # The failure is named with its output; the success is counted, and named in the report.
    # Named by its Name tag beside its id; its run time in UTC and the sample's DisplayTimeZone
    # (Europe/Paris: CET on 1 November).
    assert "  NEW i-0f3c5a1d2e4b6f789 (ssm-notifier-2): Failed" in sample
    assert "last run 2026-11-01 02:04 UTC (03:04 CET)" in sample
    assert "i-0b22a22eec53b9321" not in sample
    assert "run so far: 1 Failed, 1 Success" in sample
    assert "Full report, every instance named: https://console.aws.amazon.com/s3/" in sample
    assert "| Failed to update amazon-ssm-agent to 100000" in sample  # the fetched output


@pytest.fixture
def checkout_copy(tmp_path):
    """The files generate.py reads, copied, with the handler as committed (git's own files)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    copy = tmp_path / "checkout"
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    subprocess.run(["git", "add", "-A"], cwd=copy, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "copy"],
        cwd=copy,
        check=True,
    )
    return copy


def test_generate_writes_nothing_into_handler_even_when_bytecode_is_allowed(checkout_copy):
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    environment.pop("PYTHONPYCACHEPREFIX", None)
    result = run_generate(cwd=checkout_copy, env=environment)
    assert result.returncode == 0, result.stderr
    # templates/ may cache its bytecode (ignored by git); handler/ is the Lambda zip: sources only.
    assert (checkout_copy / "templates" / "__pycache__").exists(), "bytecode was allowed"
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "handler/"],
        cwd=checkout_copy,
        capture_output=True,
        text=True,
        check=True,
    )
    assert status.stdout == ""
    assert not list((checkout_copy / "handler").rglob("__pycache__"))


def test_redirecting_stdout_into_build_never_corrupts_a_template(checkout_copy):
    parent = checkout_copy / "build" / "parent.yaml"
    expected = parent.read_bytes()
    with parent.open("r+b") as redirect:  # `python generate.py > build/parent.yaml`, no truncation
        result = subprocess.run(
            [sys.executable, "generate.py"],
            cwd=checkout_copy,
            stdout=redirect,
            stderr=subprocess.PIPE,
        )
    assert result.returncode == 0, result.stderr
    assert parent.read_bytes() == expected
    assert b"parent.yaml" in result.stderr  # the summary went to stderr
    with parent.open("wb") as redirect:  # `> build/parent.yaml` truncates first: generate rewrites
        result = subprocess.run(
            [sys.executable, "generate.py", "--check"], cwd=checkout_copy, stdout=redirect
        )
    assert parent.read_bytes() == b"", "--check printed to stdout"
    assert result.returncode == 1  # and --check notices the emptied template
    assert run_generate(cwd=checkout_copy).returncode == 0
    assert parent.read_bytes() == expected


def test_a_changed_input_renders_the_readme_sections_again(checkout_copy):
    """The README's sections are kept while their inputs are unchanged (templates/readme_cache);
    a change to the code that renders them is seen by --check and rendered by generate.py."""
    tables = checkout_copy / "templates" / "readme" / "tables.py"
    tables.write_text(tables.read_text().replace('"| name | type |', '"| parameter | type |', 1))
    result = run_generate("--check", cwd=checkout_copy)
    assert result.returncode == 1
    assert result.stderr == "stale: README.md (run python generate.py)\n"
    assert run_generate(cwd=checkout_copy).returncode == 0
    assert "\n| parameter | type | default |" in (checkout_copy / "README.md").read_text()
    assert run_generate("--check", cwd=checkout_copy).returncode == 0


def test_an_input_change_that_leaves_the_sections_as_they_were_restamps_them(checkout_copy):
    readme = (checkout_copy / "README.md").read_text()
    module = checkout_copy / "templates" / "hub.py"
    module.write_text(module.read_text() + "# a comment: an input of the sections changed\n")
    assert run_generate("--check", cwd=checkout_copy).returncode == 1
    assert run_generate(cwd=checkout_copy).returncode == 0
    after = (checkout_copy / "README.md").read_text()
    stamp = "<!-- generated sections: inputs="
    assert after.rsplit(stamp, 1)[0] == readme.rsplit(stamp, 1)[0]
    assert after.rsplit(stamp, 1)[1] != readme.rsplit(stamp, 1)[1]
    assert run_generate("--check", cwd=checkout_copy).returncode == 0


def test_a_hand_edited_drawn_file_is_caught_and_redrawn(checkout_copy):
    diagram = checkout_copy / "build" / generate.DIAGRAM_FILE
    expected = diagram.read_text()
    diagram.write_text(expected.replace("flowchart", "flowchart ", 1))
    result = run_generate("--check", cwd=checkout_copy)
    assert result.returncode == 1
    assert result.stderr == f"stale: build/{generate.DIAGRAM_FILE} (run python generate.py)\n"
    assert run_generate(cwd=checkout_copy).returncode == 0
    assert diagram.read_text() == expected
