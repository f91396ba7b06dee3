"""templates/cfn_yaml.py writes exactly what troposphere's to_yaml writes, byte for byte."""

import random

import pytest

from templates import cfn_yaml
from templates.config import Config
from templates.parent import build_all

# Strings that take every path of PyYAML's scalar choices: plain, quoted for an indicator, for
# looking like another type, for cfn_tools' account-id rule, and ones only cfn_flip can write.
TRICKY_STRINGS = [
    "plain",
    "with spaces inside",
    "",
    " leading",
    "trailing ",
    "key: value",
    "ends with colon:",
    "a #comment",
    "a#b",
    "#start",
    "*",
    "&anchor",
    "!tag",
    "%percent",
    "@at",
    "`tick",
    "'quoted'",
    "it's",
    '"double"',
    "- dash",
    "-dash",
    "? what",
    "?what",
    ":colon",
    "[list]",
    "{map}",
    "a,b",
    "a[b]",
    "true",
    "False",
    "yes",
    "YES",
    "no",
    "On",
    "OFF",
    "null",
    "NULL",
    "Null",
    "y",
    "n",
    "~",
    "10",
    "10%",
    "1.5",
    "1e3",
    "0x1F",
    "0123",
    "012345678901",
    "0",
    "0.5",
    "2010-09-09",
    "2026-11-01T02:04:31Z",
    "...",
    "---",
    "--- doc",
    "^(rate\\([1-9][0-9]* (minute|minutes)\\)|cron\\([^()]+\\))$",
    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:association/*",
    "tag:${Key}",
    "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
    "café",
    "tab\there",
    "line\nbreak",
    "many\n" * 12,
    "x" * 199,
    "y" * 200,
    "word " * 45,
    " lead" + " word" * 45,
    ("a" * 30 + " ") * 7 + "end",
    ("a" * 30 + " ") * 5 + "end",
    ("b" * 30 + "  ") * 7 + "end",
    ("it's: " + "c" * 25 + " ") * 7 + "end",
    ("c" * 25 + " it's: ") * 5 + "end",
    "'" + ("d" * 40 + " ") * 5 + "'",
    "0" + " e" * 120,
    "^(rate\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\)|" * 4,
    "\x07bell",
    "\u2028separator",
]


def random_value(rng: random.Random, depth: int):
    kind = rng.randrange(10 if depth < 4 else 4)
    if kind == 0:
        return rng.choice(TRICKY_STRINGS)
    if kind == 1:
        return rng.choice([0, 1, 185, 86_400, -3, True, False])
    if kind == 2:
        return rng.choice([[], {}, 1.5, None])
    if kind == 3:
        return rng.choice(TRICKY_STRINGS[:20])
    if kind in (4, 5):
        return {
            rng.choice([*TRICKY_STRINGS[:30], "Type", "Properties"]): random_value(rng, depth + 1)
            for _ in range(rng.randrange(1, 4))
        }
    if kind in (6, 7):
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(1, 4))]
    function = rng.choice(["Ref", "Condition", "Fn::GetAtt", "Fn::Join", "Fn::Sub", "Fn::If"])
    if function == "Fn::GetAtt":
        return {function: [rng.choice(TRICKY_STRINGS[:12]), "Arn"]}
    if function in ("Ref", "Condition"):
        return {function: rng.choice(TRICKY_STRINGS)}
    # cfn_flip itself cannot write a non-string scalar as a tag's argument: lists only here.
    return {function: [random_value(rng, depth + 1) for _ in range(rng.randrange(0, 3))]}


def test_the_product_templates_take_the_fast_path_and_match_to_yaml():
    for name, template in build_all(Config()).items():
        assert cfn_yaml.fast_yaml(template.to_dict()) == template.to_yaml(), name


@pytest.mark.parametrize("seed", range(150))
def test_random_templates_render_as_cfn_flip_renders_them(seed):
    rng = random.Random(seed)
    template = {f"Key{index}": random_value(rng, 0) for index in range(6)}
    assert cfn_yaml.to_yaml(template) == cfn_yaml.slow_yaml(template)


@pytest.mark.parametrize("text", TRICKY_STRINGS)
def test_every_tricky_string_as_key_value_item_and_tag_argument(text):
    template = {
        "Value": text,
        "Items": [text, [text], {"Inner": text}],
        "Tagged": {"Ref": text},
        "Joined": {"Fn::Join": ["", [text, {"Fn::GetAtt": ["A", "Arn"]}]]},
        text or "EmptyKey": {"Nested": [{"Deep": text}]},
    }
    assert cfn_yaml.to_yaml(template) == cfn_yaml.slow_yaml(template)


def test_long_lines_wrap_as_pyyaml_wraps_them_without_falling_back():
    long_words = "word " * 39 + "end"
    template = {
        "Resources": {"Deeply": {"Nested": {"Description": long_words}}},
        "Items": [[long_words, {"Ref": long_words}], {"Sub": {"Fn::Sub": long_words}}],
        "Folded": long_words * 2,
    }
    assert cfn_yaml.fast_yaml(template) == cfn_yaml.slow_yaml(template)


def test_what_it_cannot_write_falls_back_to_cfn_flip_and_still_matches():
    template = {"Resources": {"R": {"Properties": {"Ratio": 1.5, "Text": "two\nlines"}}}}
    with pytest.raises(cfn_yaml.NotReproducedError):
        cfn_yaml.fast_yaml(template)
    assert cfn_yaml.to_yaml(template) == cfn_yaml.slow_yaml(template)


def test_printable_analysis_is_pyyaml_analysis_for_every_printable_line():
    """The shortcut for printable ASCII against PyYAML's own loop: the tricky strings, every
    string of the product's templates, and random lines over the characters that matter."""
    from yaml.emitter import Emitter

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from strings(key)
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    rng = random.Random(7)
    alphabet = "ab :#-?.,[]{}&*!|>'\"%@`"
    texts = [text for text in TRICKY_STRINGS if cfn_yaml.PRINTABLE.fullmatch(text)]
    for template in build_all(Config()).values():
        texts += strings(template.to_dict())
    texts += ["".join(rng.choices(alphabet, k=rng.randrange(1, 6))) for _ in range(5000)]
    assert len(texts) > 6000
    for text in filter(cfn_yaml.PRINTABLE.fullmatch, texts):  # non-empty printable lines
        expected = Emitter.analyze_scalar(cfn_yaml._AnalysisProbe, text)
        assert vars(cfn_yaml.printable_analysis(text)) == vars(expected), text
