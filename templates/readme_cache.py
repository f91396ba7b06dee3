"""Whether the README's generated sections are current, from one stamp line at the README's end.

generate.py renders the sections (and the two build/ files drawn with them, the architecture
diagram and the chat preview) only when the stamp's inputs checksum differs from this run's, or
their text no longer has the stamp's output checksum (a hand edit). Otherwise it keeps them as
they are, without importing `templates.readme`: the same inputs give the same text.

The inputs checksum is deliberately wider than what the sections read, so it cannot go stale:
every template this run rendered (its YAML bytes), the source of every module under templates/
and handler/ and of generate.py (the sections' code, the handler the samples run, the config),
the installed troposphere, awacs and cfn-lint (the Tags table reads cfn-lint's schemas), and
the Python version. Any change to one of them renders the sections again and rewrites the stamp,
so `generate.py --check` calls the README stale until `generate.py` has been run.
"""

from __future__ import annotations

import os
import re
import sys
import zlib

STAMP = re.compile(
    r"^<!-- generated sections: inputs=([0-9a-f]{16}) output=([0-9a-f]{16}) -->\n", re.MULTILINE
)
SECTION = re.compile(r"<!-- generated:([\w-]+) -->\n(.*?)<!-- /generated:\1 -->", re.DOTALL)
SOURCE_DIRS = ("templates", "handler")
# Installed distributions the sections depend on (their dist-info names carry the version).
DISTRIBUTIONS = {"troposphere": "troposphere", "awacs": "awacs", "cfnlint": "cfn_lint"}


def checksum(data: bytes) -> str:
    """CRC-32 and Adler-32 side by side: a cache key, not a signature (no one gains by forging
    one), and zlib loads in a twentieth of the time hashlib's OpenSSL does."""
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def _chunk(name: str, content: bytes) -> bytes:
    """`name` and `content`, length-prefixed, so no two lists of them join to the same bytes."""
    encoded = name.encode()
    return b"%d:%s%d:" % (len(encoded), encoded, len(content)) + content


def inputs_key(outputs: dict[str, str], root: str) -> str:
    """The checksum of everything the sections are a function of (see the module docstring):
    `outputs` are the rendered templates (build/ file name -> text), `root` the repository."""
    chunks = [_chunk("python", sys.version.encode())]
    chunks += [_chunk(f"build/{name}", text.encode()) for name, text in outputs.items()]
    for path in _sources(root):
        with open(path, "rb") as file:
            content = file.read()
        chunks.append(_chunk(path[len(root) + 1 :].replace(os.sep, "/"), content))
    chunks += [_chunk("installed", name.encode()) for name in installed_versions()]
    return checksum(b"".join(chunks))


def _sources(root: str) -> list[str]:
    """generate.py and every .py file under templates/ and handler/, in a fixed order."""
    found = [os.path.join(root, "generate.py")]
    for top in SOURCE_DIRS:
        for directory, subdirectories, names in os.walk(os.path.join(root, top)):
            subdirectories[:] = sorted(name for name in subdirectories if name != "__pycache__")
            found += [os.path.join(directory, name) for name in sorted(names) if name.endswith(".py")]
    return found


def installed_versions() -> list[str]:
    """The dist-info directory names (`troposphere-4.11.1.dist-info`) of DISTRIBUTIONS, read from
    the directory each package is installed in: a listing is a twentieth of a millisecond,
    importlib.metadata tens of milliseconds. A package with no dist-info beside it (a source
    checkout on the path) is named by its directory and its files' sizes and times instead."""
    from importlib.util import find_spec

    listings: dict[str, list[str]] = {}
    found = []
    for package, distribution in DISTRIBUTIONS.items():
        module = sys.modules.get(package)
        spec = None if module else find_spec(package)
        origin = module.__file__ if module else spec and spec.origin
        if not origin:
            found.append(f"{package}: not installed")
            continue
        package_dir = os.path.dirname(origin)
        site = os.path.dirname(package_dir)
        if site not in listings:
            listings[site] = sorted(os.listdir(site))
        prefix = f"{distribution}-".lower()
        infos = [
            name
            for name in listings[site]
            if name.lower().startswith(prefix) and name.endswith(".dist-info")
        ]
        if infos:
            found += infos
        else:
            found.append(f"{package}: {package_dir} " + _tree_signature(package_dir))
    return found


def _tree_signature(directory: str) -> str:
    """Sizes and modification times of a directory's files: a version for an unreleased copy."""
    parts = []
    for where, subdirectories, names in os.walk(directory):
        subdirectories.sort()
        for name in sorted(names):
            status = os.stat(os.path.join(where, name))
            parts.append(f"{name}:{status.st_size}:{status.st_mtime_ns}")
    return checksum("\n".join(parts).encode())


def output_key(readme: str, drawn: dict[str, str]) -> str:
    """The checksum of the README's generated sections (names and text) and of the build/ files
    drawn with them (file name -> text)."""
    chunks = [_chunk(match.group(1), match.group(2).encode()) for match in SECTION.finditer(readme)]
    chunks += [_chunk(f"build/{name}", text.encode()) for name, text in drawn.items()]
    return checksum(b"".join(chunks))


def is_current(readme: str | None, inputs: str, drawn: dict[str, str | None]) -> bool:
    """True if `readme`'s stamp names `inputs` and the output checksum of its generated sections
    and of `drawn` (build/ file name -> its text now, None if missing) as they are."""
    stamp = STAMP.search(readme or "")
    if stamp is None or stamp.group(1) != inputs or None in drawn.values():
        return False
    return stamp.group(2) == output_key(readme, drawn)  # type: ignore[arg-type]


def stamped(readme: str, inputs: str, drawn: dict[str, str]) -> str:
    """`readme` with its stamp line set (replaced, or added as the README's last line)."""
    line = (
        f"<!-- generated sections: inputs={inputs} output={output_key(readme, drawn)} -->\n"
    )
    if STAMP.search(readme):
        return STAMP.sub(lambda _: line, readme, count=1)
    return readme.rstrip("\n") + "\n\n" + line  # a blank line: never part of a paragraph
