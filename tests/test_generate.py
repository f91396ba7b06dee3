"""generate.py: writes build/, byte-identical every run, --check catches drift."""

import shutil
import subprocess
import sys

import pytest
from template_helpers import BUILD_DIR, ROOT

import generate
from templates.config import Config, ConfigError


def run_generate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "generate.py", *args], cwd=ROOT, capture_output=True, text=True
    )


def test_rendering_is_byte_identical_from_run_to_run():
    assert generate.render(Config()) == generate.render(Config())


def test_committed_build_matches_the_code():
    result = run_generate("--check")
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


def test_check_names_each_stale_and_unexpected_file(tmp_path, monkeypatch):
    build_copy = tmp_path / "build"
    shutil.copytree(BUILD_DIR, build_copy)
    (build_copy / "network.yaml").write_text("stale\n")
    (build_copy / "leftover.yaml").write_text("old stack\n")
    (build_copy / "logging.yaml").unlink()
    monkeypatch.setattr(generate, "BUILD_DIR", build_copy)
    assert generate.main(["--check"]) == 1
    assert sorted(generate.stale_files(generate.render(Config()), build_copy)) == [
        "leftover.yaml",
        "logging.yaml",
        "network.yaml",
    ]


def test_generate_writes_every_template_and_prints_one_line_each(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(generate, "BUILD_DIR", tmp_path / "build")
    assert generate.main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    written = sorted(path.name for path in (tmp_path / "build").glob("*.yaml"))
    assert written == sorted(generate.render(Config()))
    assert len(lines) == len(written)
    assert all("resources" in line and "bytes" in line for line in lines)
    for name in written:
        assert (tmp_path / "build" / name).read_bytes() == (BUILD_DIR / name).read_bytes()


def test_unknown_arguments_get_a_usage_error():
    result = run_generate("--frobnicate")
    assert result.returncode == 2
    assert "usage:" in result.stderr


@pytest.mark.parametrize(
    "bad",
    [
        {"batch_size": 0},
        {"maximum_concurrency": 1},
        {"watched_statuses": ("Pending",)},
        {"default_log_retention_days": 42},
        {"target_retry_attempts": 186},
    ],
)
def test_bad_build_time_config_is_rejected_with_a_reason(bad):
    with pytest.raises(ConfigError, match=next(iter(bad))):
        Config(**bad).validate()


def test_generate_rejects_a_bad_config_with_one_line_and_writes_nothing(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(generate, "BUILD_DIR", tmp_path / "build")
    monkeypatch.setattr(generate, "Config", lambda: Config(batch_size=20_000))
    assert generate.main([]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "batch_size must be 1-10000" in error
    assert not (tmp_path / "build").exists()
