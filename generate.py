"""Write the CloudFormation templates of the SSM association notifier into build/.

    python generate.py          write build/*.yaml, one line per template
    python generate.py --check  exit 1 naming each file in build/ that is stale

Deploy build/parent.yaml with `aws cloudformation package` + `aws cloudformation deploy`
(see README.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from templates.config import Config, ConfigError
from templates.parent import build_all

BUILD_DIR = Path(__file__).resolve().parent / "build"


def render(config: Config) -> dict[str, str]:
    """File name -> template text. Pure: the same config gives the same bytes."""
    return {name: template.to_yaml() for name, template in build_all(config).items()}


def stale_files(rendered: dict[str, str], build_dir: Path) -> list[str]:
    stale = []
    for name, text in rendered.items():
        path = build_dir / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    expected = set(rendered)
    stale += sorted(p.name for p in build_dir.glob("*.yaml") if p.name not in expected)
    return stale


def write(rendered: dict[str, str], build_dir: Path) -> None:
    build_dir.mkdir(exist_ok=True)
    for name, text in rendered.items():
        (build_dir / name).write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if build/ differs from what the code generates",
    )
    args = parser.parse_args(argv)

    try:
        templates = build_all(Config())
    except ConfigError as error:
        print(f"generate.py: bad config: {error}", file=sys.stderr)
        return 2
    rendered = {name: template.to_yaml() for name, template in templates.items()}

    if args.check:
        stale = stale_files(rendered, BUILD_DIR)
        for name in stale:
            print(f"stale: build/{name} (run python generate.py)", file=sys.stderr)
        if not stale:
            print(f"build/ is up to date ({len(rendered)} templates)")
        return 1 if stale else 0

    write(rendered, BUILD_DIR)
    for name, text in rendered.items():
        resources = len(templates[name].resources)
        print(f"build/{name:<20} {resources:>3} resources {len(text.encode()):>7,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
