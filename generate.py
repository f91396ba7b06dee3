"""Write the CloudFormation templates of the SSM association notifier into build/.

    python generate.py          write build/ and the README's generated sections
    python generate.py --check  exit 1 naming each stale file (build/ or README.md)

Deploy build/parent.yaml with `aws cloudformation package` + `aws cloudformation deploy`
(see README.md). Everything it reports goes to stderr: stdout stays empty, so a redirect such
as `python generate.py > build/parent.yaml` cannot corrupt a template.
"""

from __future__ import annotations

import gc
import os
import sys

from templates import readme_cache
from templates.cfn_yaml import to_yaml
from templates.config import Config, ConfigError
from templates.parent import build_all
from templates.template_dict import template_dict

# Paths as strings: pathlib would add a tenth to the run time of a program this short.
ROOT = os.path.dirname(os.path.abspath(__file__))
BUILD_DIR = os.path.join(ROOT, "build")
README = os.path.join(ROOT, "README.md")
DIAGRAM_FILE = "architecture.mmd"
CHAT_PREVIEW_FILE = "chat-preview.svg"
DRAWN_FILES = (DIAGRAM_FILE, CHAT_PREVIEW_FILE)  # drawn by templates/readme with the README
GENERATED_SUFFIXES = (".yaml", ".mmd", ".svg")
USAGE = "usage: generate.py [-h] [--check]"


def render(
    rendered: dict[str, dict], readme: str | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """(build/ file name -> text, README section name -> Markdown), from the template dicts and
    the README as it is (its sample email is reused while the sample's inputs are unchanged).
    The same templates and inputs give the same bytes."""
    files = render_templates(rendered)
    drawn, generated = draw(rendered, readme, files)
    return files | drawn, generated


def render_templates(rendered: dict[str, dict]) -> dict[str, str]:
    """build/ file name -> YAML, one per template."""
    return {name: to_yaml(template) for name, template in rendered.items()}


def draw(
    rendered: dict[str, dict], readme: str | None, files: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """(the build/ files drawn with the README: DRAWN_FILES, README section name -> Markdown),
    from the template dicts, the README as it is and the templates' YAML (`files`)."""
    # Imported here: a run whose README sections are current (readme_cache) never needs them.
    from templates.readme import architecture, sections
    from templates.readme.chat_preview import chat_preview_svg, payload_of

    diagram = architecture(rendered)
    generated = sections(rendered, diagram=diagram, readme=readme, files=files)
    # The picture draws the payload the README shows (the handler's own rendering).
    chat_preview = chat_preview_svg(payload_of(generated["sample-chat"]))
    return {DIAGRAM_FILE: diagram, CHAT_PREVIEW_FILE: chat_preview}, generated


def render_all(rendered: dict[str, dict], readme: str | None) -> tuple[dict[str, str], str]:
    """(build/ file name -> text, README.md's text): the README's sections and the files drawn
    with them are drawn again only if readme_cache says an input changed or one was edited."""
    files = render_templates(rendered)
    inputs = readme_cache.inputs_key(files, ROOT)
    drawn_now = {name: read(os.path.join(BUILD_DIR, name)) for name in DRAWN_FILES}
    if readme is not None and readme_cache.is_current(readme, inputs, drawn_now):
        return files | drawn_now, readme  # type: ignore[operator]
    from templates.readme import render_readme

    drawn, generated = draw(rendered, readme, files)
    new_readme = readme_cache.stamped(render_readme(readme or "", generated), inputs, drawn)
    return files | drawn, new_readme


def read(path: str | os.PathLike) -> str | None:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except FileNotFoundError:
        return None


def stale_files(files: dict[str, str], build_dir: str | os.PathLike) -> list[str]:
    """Files of build/ that differ from `files`, are missing, or are generated-looking leftovers."""
    stale = [name for name, text in files.items() if read(os.path.join(build_dir, name)) != text]
    present = set(os.listdir(build_dir)) if os.path.isdir(build_dir) else set()
    stale += sorted(name for name in present - set(files) if name.endswith(GENERATED_SUFFIXES))
    return stale


def write(files: dict[str, str], build_dir: str | os.PathLike) -> None:
    os.makedirs(build_dir, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(build_dir, name), "w", encoding="utf-8") as file:
            file.write(text)


def summary(files: dict[str, str], rendered: dict[str, dict]) -> list[str]:
    """One line per file written: resources (or "diagram") and bytes."""
    lines = []
    for name, text in files.items():
        what = (
            f"{len(rendered[name].get('Resources', {})):>3} resources"
            if name in rendered
            else "  diagram    "
        )
        lines.append(f"build/{name:<20} {what} {len(text.encode()):>7,} bytes")
    return lines


def parse_check(argv: list[str]) -> bool:
    """True for --check. Two flags need no argparse (a tenth of the run time to import)."""
    if "-h" in argv or "--help" in argv:
        print(f"{USAGE}\n\n{__doc__}", file=sys.stderr)
        raise SystemExit(0)
    unknown = [argument for argument in argv if argument != "--check"]
    if unknown:
        print(USAGE, file=sys.stderr)
        print(f"generate.py: error: unrecognized arguments: {' '.join(unknown)}", file=sys.stderr)
        raise SystemExit(2)
    return "--check" in argv


def main(argv: list[str] | None = None) -> int:
    check = parse_check(sys.argv[1:] if argv is None else argv)
    # The templates are thousands of short-lived objects and the run ends soon after: the cyclic
    # collector would only walk them again and again (about a tenth of the run's own time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return run(check)
    finally:
        if collecting:
            gc.enable()


def run(check: bool) -> int:
    """Build, render and write (or, with `check`, compare); the exit code."""
    try:
        templates = build_all(Config())
    except ConfigError as error:
        print(f"generate.py: bad config: {error}", file=sys.stderr)
        return 2
    rendered = {name: template_dict(template) for name, template in templates.items()}
    readme_now = read(README)
    files, readme = render_all(rendered, readme_now)

    if check:
        stale = [f"build/{name}" for name in stale_files(files, BUILD_DIR)]
        stale += ["README.md"] if readme != readme_now else []
        for name in stale:
            print(f"stale: {name} (run python generate.py)", file=sys.stderr)
        if not stale:
            print(f"build/ and README.md are up to date ({len(files)} files)", file=sys.stderr)
        return 1 if stale else 0

    write(files, BUILD_DIR)
    with open(README, "w", encoding="utf-8") as file:
        file.write(readme)
    print("\n".join(summary(files, rendered)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
