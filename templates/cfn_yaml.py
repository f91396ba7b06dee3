"""Template dict -> YAML text, byte-identical to troposphere's `Template.to_yaml()`, faster.

`to_yaml()` goes JSON text -> cfn_flip -> PyYAML's representer, serializer and emitter, one event
at a time; that was most of generate.py's run time. This module writes the same block-style YAML
straight from the dict, making PyYAML's own choices: keys sorted (troposphere sorts them), `Ref`,
`Condition` and `Fn::X` one-key maps as short-form tags (`!GetAtt` joined with dots), each string
plain or single-quoted by PyYAML's own scalar analysis and implicit-type resolver, sequences
indented under their key, empty collections as `{}`/`[]`.

Anything it does not reproduce exactly (multi-line or very long strings, floats, nulls, lines
past the emitter's width) makes `to_yaml` hand the whole template to cfn_flip, so the result is
always what troposphere would write. tests/test_cfn_yaml.py compares the two byte for byte.
"""

from __future__ import annotations

import json
import re

# Already loaded by troposphere (troposphere -> cfn_flip -> yaml): no extra import time.
from cfn_flip import to_yaml as cfn_flip_to_yaml
from cfn_tools._config import config as cfn_flip_config
from yaml.emitter import Emitter, ScalarAnalysis
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

STR_TAG = "tag:yaml.org,2002:str"
WIDTH = cfn_flip_config.max_col_width  # PyYAML wraps lines past this column (cfn_flip: 200)
SIMPLE_KEY_LIMIT = 128  # PyYAML writes a longer key as an explicit `? key`
# cfn_flip folds strings this long (`>`); PyYAML double-quotes strings with line breaks.
FOLD_LENGTH = cfn_flip_config.max_col_width
# Printable ASCII that starts with a character PyYAML never reads as an indicator: the common
# case, analysed here without PyYAML's character-by-character loop. The rest goes through it.
PLAIN_CANDIDATE = re.compile(r"[A-Za-z0-9_(/$^\\][ -~]*")
PRINTABLE = re.compile(r"[ -~]+")  # printable ASCII, no line breaks
LEADING_INDICATORS = "#,[]{}&*!|>'\"%@`"  # special as a scalar's first character
ACCOUNT_ID = re.compile(r"^0[0-9]+$")  # cfn_tools quotes these so they stay strings
# A word of letters and digits starting with a letter is a plain string to PyYAML's resolver
# unless it is one of these (bools and nulls); no resolver needed for the most common scalars.
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
NOT_STRINGS = frozenset(
    {"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE"}
    | {"on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL"}
)


class NotReproducedError(Exception):
    """A value this module does not write exactly as PyYAML would: use cfn_flip instead."""


class _AnalysisProbe:
    """What `Emitter.analyze_scalar` reads from its emitter (cfn_flip dumps with unicode on)."""

    allow_unicode = True


_RESOLVER = Resolver()
_EMPTY = ScalarAnalysis(
    scalar="",
    empty=True,
    multiline=False,
    allow_flow_plain=False,
    allow_block_plain=True,
    allow_single_quoted=True,
    allow_double_quoted=True,
    allow_block=True,
)


def _analysis(text: str) -> ScalarAnalysis | None:
    """PyYAML's analysis of a one-line scalar (None: the common case, plain and single quotes
    both allowed, known without it); NotReproducedError for one that needs double quotes."""
    if (
        PLAIN_CANDIDATE.fullmatch(text)
        and ": " not in text
        and " #" not in text
        and text[-1] not in ": "
        and not text.startswith("...")
    ):
        return None
    if not text:
        return _EMPTY
    if PRINTABLE.fullmatch(text):
        return printable_analysis(text)
    analysis = Emitter.analyze_scalar(_AnalysisProbe, text)
    if analysis.multiline or not analysis.allow_single_quoted:
        raise NotReproducedError(text)
    return analysis


def printable_analysis(text: str) -> ScalarAnalysis:
    """`Emitter.analyze_scalar` of a non-empty line of printable ASCII, from a few substring
    tests instead of its loop over every character (two fifths of the YAML time went there, most
    of it on the spoke's 16 KB JSON body). Such a line has no breaks and no special characters,
    so only its indicators and its leading and trailing spaces decide."""
    first, rest = text[0], text[1:]
    # The first character followed by whitespace (or alone); a space is the only whitespace.
    spaced = rest[:1] in ("", " ")
    document = text.startswith(("---", "..."))
    # ":" followed by whitespace or ending the text, "#" after a space (past the first character).
    later_block = ": " in rest or (rest[-1:] == ":") or " #" in text
    block_indicators = (
        document or first in LEADING_INDICATORS or (first in "?:-" and spaced) or later_block
    )
    flow_indicators = (
        block_indicators or first in "?:" or any(character in rest for character in ",?[]{}:")
    )
    edge_space = first == " " or text[-1] == " "
    return ScalarAnalysis(
        scalar=text,
        empty=False,
        multiline=False,
        allow_flow_plain=not (edge_space or flow_indicators),
        allow_block_plain=not (edge_space or block_indicators),
        allow_single_quoted=True,
        allow_double_quoted=True,
        allow_block=text[-1] != " ",
    )


PLAIN, QUOTED, FOLDED = "plain", "quoted", "folded"
_styles: dict[tuple[str, bool], tuple[str, str]] = {}
_keys: dict[str, str] = {}  # mapping key -> its text with the colon, as `_Writer.key` writes it


def _string(text: str, tagged: bool) -> tuple[str, str]:
    """(style, text as written before any line wrapping) for a string scalar, as cfn_flip's
    representer and PyYAML's emitter choose: plain, single-quoted, or folded (`>-`)."""
    key = (text, tagged)
    if key in _styles:
        return _styles[key]
    if not tagged and len(text) < FOLD_LENGTH and WORD.fullmatch(text) and text not in NOT_STRINGS:
        _styles[key] = (PLAIN, text)
        return _styles[key]
    if "\n" in text or "\r" in text:
        raise NotReproducedError(text)
    analysis = _analysis(text)
    if not tagged and len(text) >= FOLD_LENGTH and not ACCOUNT_ID.match(text):
        # cfn_flip asks for `>`; PyYAML grants it unless the text ends (or starts) with a space.
        if analysis is not None and (not analysis.allow_block or text[0] == " "):
            raise NotReproducedError(text)
        style = (FOLDED, text)
    elif (
        not (tagged or text.startswith("0") or ACCOUNT_ID.match(text))
        and (analysis is None or (analysis.allow_block_plain and not analysis.empty))
        and _RESOLVER.resolve(ScalarNode, text, (True, False)) == STR_TAG
    ):
        style = (PLAIN, text)
    else:
        style = (QUOTED, "'" + text.replace("'", "''") + "'")
    _styles[key] = style
    return style


def _scalar(value) -> tuple[str, str]:
    if value is True:
        return PLAIN, "true"
    if value is False:
        return PLAIN, "false"
    if type(value) is int:
        return PLAIN, str(value)
    if isinstance(value, str):
        return _string(value, tagged=False)
    raise NotReproducedError(repr(value))  # floats, nulls and anything else: cfn_flip's business


def _short_form(value: dict) -> tuple[str, object] | None:
    """('!Tag', argument) for a one-key intrinsic function map, as cfn_flip shortens it."""
    if len(value) != 1:
        return None
    ((name, argument),) = value.items()
    if name in ("Ref", "Condition"):
        tag = name
    elif name.startswith("Fn::"):
        tag = name[4:]
    else:
        return None
    if tag == "GetAtt" and isinstance(argument, list):
        if not all(isinstance(part, str) for part in argument):
            raise NotReproducedError(repr(argument))
        argument = ".".join(argument)
    return "!" + tag, argument


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.line = ""

    def newline(self, indent: int) -> None:
        self.lines.append(self.line)
        self.line = " " * indent

    def text(self, text: str) -> None:
        self.line += text

    def scalar(self, style: str, text: str, indent: int) -> None:
        """A value scalar after `key:` or `-`. PyYAML breaks a line at a single space once the
        column passes WIDTH, continuing at the collection's indent + 2 (never inside a quoted
        scalar's leading or trailing spaces)."""
        if style == FOLDED:
            self.text(" >-")
            self.newline(indent + 2)
            self.wrapped(text, indent + 2, quoted=False)
        else:
            self.text(" ")
            self.wrapped(text, indent + 2, quoted=style == QUOTED)

    def wrapped(self, text: str, indent: int, quoted: bool) -> None:
        if len(self.line) + len(text) <= WIDTH:  # the usual case: nothing can break
            self.line += text
            return
        words = text.split(" ")
        last = len(words) - 1
        self.line += words[0]
        for position, word in enumerate(words[1:], start=1):
            # A run of n spaces shows as n - 1 empty words; only a single space may break.
            single = word != "" and words[position - 1] != ""
            edge = quoted and (
                words[position - 1] in ("'", "") or (position == last and word in ("'",))
            )
            if single and not edge and len(self.line) > WIDTH:
                self.newline(indent)
                self.line += word
            else:
                self.line += " " + word

    def node(self, value, indent: int, after_dash: bool) -> None:
        """Write `value` after a `key:` or a `- ` (after_dash) at collection indent `indent`."""
        if type(value) is str:  # the most common node, first
            style, text = _styles.get((value, False)) or _string(value, tagged=False)
            # `scalar` inlined for its usual case, a short line: a third of the calls saved.
            if style != FOLDED and len(self.line) + 1 + len(text) <= WIDTH:
                self.line += " " + text
            else:
                self.scalar(style, text, indent)
            return
        tag = None
        if isinstance(value, dict) and len(value) == 1:  # only a one-key map is an intrinsic
            short = _short_form(value)
            if short:
                tag, value = short
                self.text(" " + tag)
                after_dash = False  # the tag ends PyYAML's indention: a collection goes below
        if isinstance(value, dict):
            if not value:
                self.text(" {}")
            else:
                self.mapping(value, indent + 2, inline=after_dash)
        elif isinstance(value, (list, tuple)):
            if not value:
                self.text(" []")
            else:
                self.sequence(value, indent + 2, inline=after_dash)
        elif tag is not None:
            if not isinstance(value, str):
                raise NotReproducedError(repr(value))
            style, text = _styles.get((value, True)) or _string(value, tagged=True)
            if style != FOLDED and len(self.line) + 1 + len(text) <= WIDTH:  # as above
                self.line += " " + text
            else:
                self.scalar(style, text, indent)
        else:
            self.scalar(*_scalar(value), indent)

    def mapping(self, value: dict, indent: int, inline: bool) -> None:
        # `newline` and `key` inlined for their usual case (the key written before).
        lines, pad = self.lines, " " * indent
        for position, key in enumerate(sorted(value)):
            if position or not inline:
                lines.append(self.line)
                self.line = pad
            else:
                self.line += " "
            written = _keys.get(key)
            if written is None:
                self.key(key)
            else:
                self.line += written
            self.node(value[key], indent, False)

    def key(self, key) -> None:
        if key in _keys:
            self.line += _keys[key]
            return
        # PyYAML writes an empty, long or non-string key as an explicit `? key`; a simple key is
        # never wrapped nor folded.
        if not isinstance(key, str) or not key or len(key) >= SIMPLE_KEY_LIMIT:
            raise NotReproducedError(repr(key))
        style, text = _string(key, tagged=False)
        if style == FOLDED:
            raise NotReproducedError(key)
        _keys[key] = text + ":"
        self.line += _keys[key]

    def sequence(self, value: list, indent: int, inline: bool) -> None:
        lines, pad = self.lines, " " * indent + "-"
        for position, item in enumerate(value):
            if position or not inline:
                lines.append(self.line)
                self.line = pad
            else:
                self.line += " -"
            self.node(item, indent, True)


def fast_yaml(template: dict) -> str:
    """The YAML text, or NotReproducedError for a template this module cannot write exactly."""
    if not isinstance(template, dict) or not template or _short_form(template):
        raise NotReproducedError("top level")
    writer = _Writer()
    for position, key in enumerate(sorted(template)):
        if position:
            writer.newline(0)
        writer.key(key)
        writer.node(template[key], 0, after_dash=False)
    writer.lines.append(writer.line)
    return "\n".join(writer.lines) + "\n"


def to_yaml(template: dict) -> str:
    """What troposphere's `Template.to_yaml()` returns for the template of this `to_dict()`."""
    try:
        return fast_yaml(template)
    except NotReproducedError:
        return slow_yaml(template)


def slow_yaml(template: dict) -> str:
    """troposphere's own path: sorted JSON (as `Template.to_json()`), then cfn_flip."""
    return cfn_flip_to_yaml(
        json.dumps(template, indent=1, sort_keys=True, separators=(",", ": ")),
        clean_up=False,
        long_form=False,
    )
