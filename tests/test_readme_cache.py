"""templates/readme_cache: the README's sections are kept only while every input is unchanged,
what is kept is what a fresh render gives, and a hand edit is never taken for a current section."""

from __future__ import annotations

import subprocess
import sys

import pytest
from template_helpers import BUILD_DIR, ROOT

import generate
from templates import readme_cache
from templates.config import Config
from templates.parent import build_all
from templates.readme import render_readme

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    """build/ file name -> YAML, as generate.py renders the templates."""
    templates = build_all(Config())
    return generate.render_templates({name: t.to_dict() for name, t in templates.items()})


def drawn_files() -> dict[str, str]:
    return {name: (BUILD_DIR / name).read_text(encoding="utf-8") for name in generate.DRAWN_FILES}


def test_the_committed_readme_is_current_and_kept(outputs):
    inputs = readme_cache.inputs_key(outputs, str(ROOT))
    assert readme_cache.is_current(README, inputs, drawn_files())


def test_what_is_kept_is_what_a_fresh_render_gives(outputs):
    """The cache holds exactly what rendering the sections now would write."""
    templates = build_all(Config())
    rendered = {name: t.to_dict() for name, t in templates.items()}
    drawn, generated = generate.draw(rendered, README, outputs)
    assert drawn == drawn_files()
    assert render_readme(README, generated) == README
    assert (
        readme_cache.stamped(README, readme_cache.inputs_key(outputs, str(ROOT)), drawn) == README
    )


def test_a_current_run_does_not_import_the_readme_sections():
    probe = "import sys, generate; code = generate.main(['--check']); "
    probe += "print(code, sorted(m for m in sys.modules if m.startswith('templates.readme.')))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout == "0 []\n", done.stderr


def test_every_input_changes_the_inputs_key(outputs, tmp_path, monkeypatch):
    for top, name in [("templates", "a.py"), ("templates/readme", "b.py"), ("handler/x", "c.py")]:
        (tmp_path / top).mkdir(parents=True, exist_ok=True)
        (tmp_path / top / name).write_text("x = 1\n")
    (tmp_path / "generate.py").write_text("")
    root = str(tmp_path)
    before = readme_cache.inputs_key(outputs, root)
    assert readme_cache.inputs_key(outputs, root) == before  # the same inputs, the same key
    changed = []
    for path in ["templates/a.py", "templates/readme/b.py", "handler/x/c.py", "generate.py"]:
        original = (tmp_path / path).read_text()
        (tmp_path / path).write_text(original + "# edited\n")
        changed.append(readme_cache.inputs_key(outputs, root))
        (tmp_path / path).write_text(original)
    (tmp_path / "templates" / "new.py").write_text("")
    changed.append(readme_cache.inputs_key(outputs, root))
    (tmp_path / "templates" / "new.py").unlink()
    first = next(iter(outputs))
    changed.append(readme_cache.inputs_key(outputs | {first: outputs[first] + "#\n"}, root))
    versions = readme_cache.installed_versions()
    # As pinned in requirements-*.txt, so every environment computes the same key.
    for requirements in ("requirements-dev.txt", "requirements-lint.txt"):
        pins = dict(
            line.strip().replace("-", "_").split("==")
            for line in (ROOT / requirements).read_text().splitlines()
            if line.startswith(("troposphere==", "awacs==", "cfn-lint=="))
        )
        expected = [f"{name}=={pins[name]}" for name in ("troposphere", "awacs", "cfn_lint")]
        assert versions == expected, requirements
    monkeypatch.setattr(
        readme_cache, "installed_versions", lambda: [*versions[:-1], "cfn_lint==0.0.1"]
    )
    changed.append(readme_cache.inputs_key(outputs, root))
    assert before not in changed
    assert len(set(changed)) == len(changed)


def test_a_hand_edit_anywhere_in_the_output_is_not_current(outputs):
    inputs = readme_cache.inputs_key(outputs, str(ROOT))
    drawn = drawn_files()
    edited_section = README.replace("| `FleetMode` |", "| `FleetModes` |", 1)
    edited_marker = README.replace("<!-- /generated:security -->", "", 1)
    head, stamp = README.rsplit("<!-- generated sections:", 1)
    output = stamp.split(" output=")[1][:16]
    other = f"{(int(output, 16) + 1) % 16**16:016x}"
    edited_stamp = head + "<!-- generated sections:" + stamp.replace(output, other)
    assert edited_section != README and edited_marker != README and edited_stamp != README
    for readme in (edited_section, edited_marker, edited_stamp, README.rsplit("<!--", 1)[0]):
        assert not readme_cache.is_current(readme, inputs, drawn)
    diagram = next(iter(drawn))
    assert not readme_cache.is_current(README, inputs, drawn | {diagram: drawn[diagram] + " "})
    assert not readme_cache.is_current(README, inputs, drawn | {diagram: None})
    assert not readme_cache.is_current(README, "0" * 16, drawn)


def test_the_stamp_is_replaced_in_place_or_added_as_the_last_line():
    drawn = {"architecture.mmd": "graph\n"}
    readme = "# Title\n\n<!-- generated:a -->\ntext\n<!-- /generated:a -->\n\nMore prose.\n"
    once = readme_cache.stamped(readme, "1" * 16, drawn)
    assert once.startswith(readme.rstrip("\n") + "\n\n<!-- generated sections: inputs=1111")
    assert once.count("\n") == readme.count("\n") + 2
    assert readme_cache.is_current(once, "1" * 16, drawn)
    twice = readme_cache.stamped(once, "2" * 16, drawn)
    assert twice == once.replace("1" * 16, "2" * 16)
    assert readme_cache.is_current(twice, "2" * 16, drawn)
