"""Fetch what a run's failed step wrote, for any SSM document: its name, then its output's end.

ListCommandInvocations (Details) names the document's steps; the first that failed, timed out or
was cancelled (else the last that ran) is the one to read. GetCommandInvocation with that step as
PluginName (a multi-step document such as AWS-RunPatchBaseline refuses the call without it) gives
the first 24,000 characters of stdout and 8,000 of stderr. When a stream fills that, its real end
is read from the run's S3 output with a ranged GetObject, so only the tail crosses the network.
Pure Python: the ssm and s3 clients are injected, and every call first asks `check_time`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from .log import describe_error

# GetCommandInvocation's caps (botocore ssm model: StandardOutputContent max 24000,
# StandardErrorContent max 8000), in characters. SSM Agent cuts by its own count, so a text that
# long, or one ending with the agent's suffix, is taken to be cut.
API_CAPS = {"stdout": 24_000, "stderr": 8_000}
AGENT_CUT_SUFFIXES = ("--output truncated--", "---Output truncated---", "---Error truncated----")
# A step that ended badly (CommandPluginStatus values); the first of these is the failed step.
FAILED_STATUSES = ("Failed", "TimedOut", "Cancelled")
NOT_RUN_STATUSES = ("Pending", "InProgress", "Delayed")
# SSM Agent's own Output for a step a schema 2.2 precondition skipped (agent's runpluginutil).
SKIPPED_PREFIX = "Step execution skipped"
# Enough for the digest's 20 lines even when each is long, or the text is UTF-16.
TAIL_BYTES = 16_384
# Characters SSM Agent drops from plugin and step names to make S3 folder names.
_NOT_IN_FOLDER_NAMES = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_VIRTUAL_HOSTED = re.compile(r"^(?P<bucket>.+)\.s3[.-](?:[a-z0-9-]+\.)*amazonaws\.com(?:\.cn)?$")
_PATH_STYLE = re.compile(r"^s3[.-](?:[a-z0-9-]+\.)*amazonaws\.com(?:\.cn)?$|^s3\.amazonaws\.com$")


class OutputNotFoundError(Exception):
    """The run has no step output to show; the message is the short reason for the digest."""


class StepOutput(NamedTuple):
    """What one step wrote: stdout and stderr (line endings normalised), and where each came from.

    `stdout_source`/`stderr_source` are "api" (GetCommandInvocation) or "s3" (the object's last
    bytes); `note` says why a text that the API cut short could not be completed from S3.
    """

    step: str
    status: str
    stdout: str
    stderr: str
    stdout_source: str = "api"
    stderr_source: str = "api"
    note: str = ""


class S3Location(NamedTuple):
    bucket: str
    key: str


def fetch_step_output(
    ssm: Any,
    s3: Any,
    command_id: str,
    instance_id: str,
    check_time: Callable[[], None],
    tail_bytes: int = TAIL_BYTES,
) -> StepOutput:
    """The output of the failed (else the last) step of `command_id` on `instance_id`.

    SSM errors propagate to the caller (its "not fetched" reason); an S3 read that fails only
    costs the tail: the API's first characters are returned with a note. `check_time` raises when
    the caller's budget is spent; it is asked before every call.
    """
    check_time()
    listing = ssm.list_command_invocations(
        CommandId=command_id, InstanceId=instance_id, Details=True
    )
    invocation = _invocation_of(listing, instance_id, command_id)
    plugin = pick_step(invocation.get("CommandPlugins") or [])
    if plugin is None:
        raise OutputNotFoundError(f"command {command_id} lists no steps on {instance_id}")
    step = plugin["Name"]
    check_time()
    result = ssm.get_command_invocation(
        CommandId=command_id, InstanceId=instance_id, PluginName=step
    )
    streams: dict[str, tuple[str, str]] = {}
    notes: list[str] = []
    for stream, content_key, url_key in (
        ("stdout", "StandardOutputContent", "StandardOutputUrl"),
        ("stderr", "StandardErrorContent", "StandardErrorUrl"),
    ):
        text = result.get(content_key) or ""
        streams[stream] = (normalise_newlines(text), "api")
        if not looks_cut(text, API_CAPS[stream]):
            continue
        location = s3_location(result.get(url_key) or plugin.get(url_key) or "") or (
            derived_location(plugin, step, stream)
        )
        cap = f"{API_CAPS[stream]:,}"
        if location is None:
            notes.append(f"{stream}: first {cap} characters only (no S3 output)")
            continue
        if s3 is None:
            notes.append(
                f"{stream}: first {cap} characters only (S3 output not read: no S3 client)"
            )
            continue
        try:
            check_time()
            streams[stream] = (read_tail(s3, location, tail_bytes), "s3")
        except Exception as error:  # the API's first characters still say something
            notes.append(
                f"{stream}: first {cap} characters only "
                f"(S3 output not read: {_short_reason(error)})"
            )
    return StepOutput(
        step=step,
        status=str(result.get("Status") or plugin.get("Status") or ""),
        stdout=streams["stdout"][0],
        stderr=streams["stderr"][0],
        stdout_source=streams["stdout"][1],
        stderr_source=streams["stderr"][1],
        note="; ".join(notes),
    )


def _invocation_of(listing: dict[str, Any], instance_id: str, command_id: str) -> dict[str, Any]:
    invocations = [
        invocation
        for invocation in listing.get("CommandInvocations") or []
        if invocation.get("InstanceId") in (None, "", instance_id)
    ]
    if not invocations:
        raise OutputNotFoundError(f"no invocation of command {command_id} on {instance_id}")
    return invocations[0]


def pick_step(plugins: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first step that failed, timed out or was cancelled; else the last one that ran."""
    named = [plugin for plugin in plugins if plugin.get("Name")]
    for plugin in named:
        if plugin.get("Status") in FAILED_STATUSES:
            return plugin
    ran = [
        plugin
        for plugin in named
        if plugin.get("Status") not in NOT_RUN_STATUSES
        and not str(plugin.get("Output") or "").startswith(SKIPPED_PREFIX)
    ]
    if ran:
        return ran[-1]
    return named[-1] if named else None


def looks_cut(text: str, cap: int) -> bool:
    """True when the API's text filled its cap or ends with the agent's truncation suffix."""
    return len(text) >= cap or text.rstrip().endswith(AGENT_CUT_SUFFIXES)


def s3_location(url: str) -> S3Location | None:
    """Bucket and key of an S3 object URL as SSM reports it (path-style or virtual-hosted)."""
    if not url:
        return None
    from urllib.parse import unquote, urlsplit  # here, not at import: cold start

    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = unquote(parts.path).lstrip("/")
    hosted = _VIRTUAL_HOSTED.match(host)
    if hosted and path:
        return S3Location(hosted["bucket"], path)
    if _PATH_STYLE.match(host) and "/" in path:
        bucket, key = path.split("/", 1)
        if bucket and key:
            return S3Location(bucket, key)
    return None


def derived_location(plugin: dict[str, Any], step: str, stream: str) -> S3Location | None:
    """Where SSM Agent puts a step's stream when the API gives no URL.

    The plugin's OutputS3KeyPrefix already ends with the plugin's folder (e.g.
    `prefix/<command>/<instance>/awsrunShellScript`); inside it the agent writes one folder per
    step: the step's name for schema 2.x documents (`PatchLinux`), `0.<plugin>` for the single
    step of a schema 1.2 document, whose step name is the plugin (`0.awsrunPowerShellScript`).
    """
    bucket = plugin.get("OutputS3BucketName") or ""
    prefix = (plugin.get("OutputS3KeyPrefix") or "").strip("/")
    if not bucket or not prefix:
        return None
    folder = folder_name(step)
    if step.startswith("aws:"):
        folder = f"0.{folder}"
    return S3Location(bucket, f"{prefix}/{folder}/{stream}")


def folder_name(name: str) -> str:
    return _NOT_IN_FOLDER_NAMES.sub("", name)


def read_tail(s3: Any, location: S3Location, tail_bytes: int) -> str:
    """The last `tail_bytes` of the object as text, starting at a whole line when cut."""
    response = s3.get_object(Bucket=location.bucket, Key=location.key, Range=f"bytes=-{tail_bytes}")
    body = response["Body"]
    try:
        data = body.read(tail_bytes + 1)
    finally:
        body.close()
    cut = _starts_mid_object(response, len(data))
    text = decode(data, cut)
    if cut and "\n" in text:
        # The first line began before the range: show whole lines only.
        text = text.split("\n", 1)[1]
    return text


def _starts_mid_object(response: dict[str, Any], read: int) -> bool:
    """Whether the bytes read begin after the object's start (Content-Range: bytes a-b/total)."""
    content_range = str(response.get("ContentRange") or "")
    match = re.fullmatch(r"bytes (\d+)-\d+/(\d+|\*)", content_range.strip())
    if match:
        return int(match[1]) > 0
    total = response.get("ContentLength")
    return isinstance(total, int) and total > read


def decode(data: bytes, cut: bool = False) -> str:
    """UTF-8 (a BOM dropped), or UTF-16 when the bytes say so; newlines normalised.

    Windows PowerShell can write UTF-16LE (BOM FF FE, or every other byte NUL for ASCII text);
    a tail cut from such a file may start on the second byte of a character.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return normalise_newlines(data.decode("utf-16", "replace"))
    if _looks_utf16le(data):
        if len(data) % 2:  # the tail ends on a whole character, so an odd length starts mid one
            data = data[1:]
        return normalise_newlines(data.decode("utf-16-le", "replace"))
    if cut:
        # Drop UTF-8 continuation bytes of a character that began before the range.
        start = 0
        while start < min(len(data), 3) and 0x80 <= data[start] <= 0xBF:
            start += 1
        data = data[start:]
    return normalise_newlines(data.decode("utf-8-sig", "replace"))


def _looks_utf16le(data: bytes) -> bool:
    sample = data[-512:]
    if len(sample) < 4:
        return False
    offset = len(sample) % 2  # align to the end, where characters are whole
    high_bytes = sample[offset + 1 :: 2]
    return high_bytes.count(0) >= 0.8 * len(high_bytes) and sample[offset::2].count(0) == 0


def normalise_newlines(text: str) -> str:
    """CRLF (Windows) and lone CR (progress redraws) become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _short_reason(error: BaseException) -> str:
    reason = describe_error(error)
    return reason if getattr(error, "response", None) is not None else str(error) or reason
