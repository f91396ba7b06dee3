"""Whether the README's generated sections are current, from one stamp line at the README's end.

generate.py renders the sections (and the two build/ files drawn with them, the architecture
diagram and the chat preview) only when the stamp's inputs checksum differs from this run's, or
their text no longer has the stamp's output checksum (a hand edit). Otherwise it keeps them as
they are, without importing `templates.readme`: the same inputs give the same text.

The inputs checksum is deliberately wider than what the sections read, so it cannot go stale:
every template this run rendered (its YAML bytes), the source of every module under templates/
and handler/ and of generate.py (the sections' code, the handler the samples run, the config),
and the versions of troposphere, awacs and cfn-lint installed (the Tags table reads cfn-lint's
schemas; requirements-*.txt pin all three, so every environment agrees). Any change to one of
them renders the sections again and rewrites the stamp, so `generate.py --check` calls the
README stale until `generate.py` has been run. The Python version is left out on purpose: the
sections do not depend on it (a template that did would change the YAML above), and a new user's
interpreter must not make a current README look stale.
"""

from __future__ import annotations

import os
import sys
import zlib

# The stamp line; the two checksums are 16 hex digits each. Found with str methods, not re:
# compiling a pattern costs more than the whole search.
STAMP_START = "<!-- generated sections: inputs="
STAMP_LINE = STAMP_START + "{inputs} output={output} -->\n"
STAMP_LENGTH = len(STAMP_LINE.format(inputs="0" * 16, output="0" * 16))
OPENING, CLOSING = "<!-- generated:", "<!-- /generated:"  # + NAME -->
SOURCE_DIRS = ("templates", "handler")
# Installed distributions the sections depend on (their dist-info names carry the version).
DISTRIBUTIONS = {"troposphere": "troposphere", "awacs": "awacs", "cfnlint": "cfn_lint"}


class Checksum:
    """CRC-32 and Adler-32 side by side over named chunks: a cache key, not a signature (no one
    gains by forging one), and zlib loads in a twentieth of the time hashlib's OpenSSL does."""

    def __init__(self) -> None:
        self.crc, self.adler = 0, 1

    def add(self, name: str, content: bytes) -> None:
        """`name` and `content`, length-prefixed: no two lists of chunks give the same bytes."""
        encoded = name.encode()
        for data in (b"%d:%s%d:" % (len(encoded), encoded, len(content)), content):
            self.crc = zlib.crc32(data, self.crc)
            self.adler = zlib.adler32(data, self.adler)

    def hexdigest(self) -> str:
        return f"{self.crc:08x}{self.adler:08x}"


def inputs_key(outputs: dict[str, str], root: str) -> str:
    """The checksum of everything the sections are a function of (see the module docstring):
    `outputs` are the rendered templates (build/ file name -> text), `root` the repository."""
    key = Checksum()
    for name, text in outputs.items():
        key.add(f"build/{name}", text.encode())
    for path in _sources(root):
        with open(path, "rb") as file:
            key.add(path[len(root) + 1 :].replace(os.sep, "/"), file.read())
    for version in installed_versions():
        key.add("installed", version.encode())
    return key.hexdigest()


def _sources(root: str) -> list[str]:
    """generate.py and every .py file under templates/ and handler/, in a fixed order."""
    found = [os.path.join(root, "generate.py")]
    for top in SOURCE_DIRS:
        for directory, subdirectories, names in os.walk(os.path.join(root, top)):
            subdirectories[:] = sorted(name for name in subdirectories if name != "__pycache__")
            found += [os.path.join(directory, name) for name in sorted(names) if name[-3:] == ".py"]
    return found


def installed_versions() -> list[str]:
    """`name==version` for each of DISTRIBUTIONS, from the dist-info directory beside the package
    (`troposphere-4.11.1.dist-info`): a listing is a twentieth of a millisecond, importlib.metadata
    tens of milliseconds. A package with no dist-info beside it (a source checkout on the path)
    is named by its directory and its files' sizes and times instead."""
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
            found += [f"{distribution}=={name[len(prefix) : -len('.dist-info')]}" for name in infos]
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
    key = Checksum()
    key.add(directory, "\n".join(parts).encode())
    return key.hexdigest()


def output_key(readme: str, drawn: dict[str, str]) -> str:
    """The checksum of the README's generated sections (each `<!-- generated:NAME -->` line, the
    text up to its closing line, and that line) and of the build/ files drawn with them."""
    key = Checksum()
    start = readme.find(OPENING)
    while start >= 0:
        name = readme[start + len(OPENING) : readme.find(" -->", start)]
        closing = f"{CLOSING}{name} -->"
        end = readme.find(closing, start)
        if end < 0:
            key.add("unclosed", readme[start:].encode())
            break
        key.add(name, readme[start : end + len(closing)].encode())
        start = readme.find(OPENING, end + len(closing))
    for name, text in drawn.items():
        key.add(f"build/{name}", text.encode())
    return key.hexdigest()


def _stamp(readme: str) -> tuple[int, str, str] | None:
    """(where, inputs, output) of `readme`'s stamp line, None if it has none."""
    where = readme.rfind("\n" + STAMP_START) + 1
    line = readme[where : where + STAMP_LENGTH] if where else ""
    inputs, output = line[len(STAMP_START) :][:16], line[-21:-5]
    if line != STAMP_LINE.format(inputs=inputs, output=output):
        return None
    return where, inputs, output


def is_current(readme: str | None, inputs: str, drawn: dict[str, str | None]) -> bool:
    """True if `readme`'s stamp names `inputs` and the output checksum of its generated sections
    and of `drawn` (build/ file name -> its text now, None if missing) as they are."""
    stamp = _stamp(readme or "")
    if stamp is None or stamp[1] != inputs or None in drawn.values():
        return False
    return stamp[2] == output_key(readme, drawn)  # type: ignore[arg-type]


def stamped(readme: str, inputs: str, drawn: dict[str, str]) -> str:
    """`readme` with its stamp line set (replaced, or added as the README's last line)."""
    line = STAMP_LINE.format(inputs=inputs, output=output_key(readme, drawn))
    stamp = _stamp(readme)
    if stamp is not None:
        return readme[: stamp[0]] + line + readme[stamp[0] + STAMP_LENGTH :]
    return readme.rstrip("\n") + "\n\n" + line  # a blank line: never part of a paragraph
