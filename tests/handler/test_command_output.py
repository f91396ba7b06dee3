"""command_output on stubbed SSM and S3 clients, with responses shaped like AWS's documented ones.

Every SSM stub states its expected parameters: Stubber fails the test when GetCommandInvocation is
sent without the step's PluginName (the cause of "output not fetched: InvalidPluginName").
"""

from __future__ import annotations

import copy

import pytest
from ssm_fixtures import (
    API_STDOUT_CAP,
    PATCH_LOG_END,
    bucket_and_key,
    load,
    object_tail,
    patch_log,
    stub_ssm,
    stubbed,
)
from ssm_notifier.command_output import (
    TAIL_BYTES,
    OutputNotFoundError,
    S3Location,
    decode,
    derived_location,
    fetch_step_output,
    looks_cut,
    pick_step,
    read_tail,
    s3_location,
)

PATCH_LIST = "list_command_invocations_patch_baseline.json"
PATCH_GET = "get_command_invocation_patch_baseline.json"
PS_LIST = "list_command_invocations_powershell.json"
PS_GET = "get_command_invocation_powershell.json"


def no_deadline() -> None:
    """A check_time that never runs out."""


@pytest.fixture
def ssm():
    with stubbed("ssm") as pair:
        yield pair
    pair[1].assert_no_pending_responses()


@pytest.fixture
def s3():
    with stubbed("s3") as pair:
        yield pair
    pair[1].assert_no_pending_responses()


def ids_of(listing: dict) -> tuple[str, str]:
    invocation = listing["CommandInvocations"][0]
    return invocation["CommandId"], invocation["InstanceId"]


def long_patch_invocation(log: str) -> dict:
    """GetCommandInvocation for PatchLinux: as the API does, only the log's first 24,000 chars."""
    invocation = load(PATCH_GET)
    invocation["StandardOutputContent"] = log[:API_STDOUT_CAP]
    return invocation


def test_patch_baseline_failure_gives_the_failed_steps_last_lines_from_s3(ssm, s3) -> None:
    ssm_client, ssm_stub = ssm
    s3_client, s3_stub = s3
    listing = load(PATCH_LIST)
    command_id, instance_id = ids_of(listing)
    log = patch_log()
    invocation = long_patch_invocation(log)
    # PatchWindows comes first but was skipped: the failed step is PatchLinux.
    stub_ssm(ssm_stub, listing, invocation, instance_id, "PatchLinux")
    bucket, key = bucket_and_key(invocation["StandardOutputUrl"])
    s3_stub.add_response(
        "get_object",
        object_tail(log.encode(), TAIL_BYTES),
        {"Bucket": bucket, "Key": key, "Range": f"bytes=-{TAIL_BYTES}"},
    )

    output = fetch_step_output(ssm_client, s3_client, command_id, instance_id, no_deadline)

    assert output.step == "PatchLinux"
    assert output.status == "Failed"
    assert output.stdout_source == "s3"
    assert output.stdout.splitlines()[-len(PATCH_LOG_END) :] == PATCH_LOG_END
    # The API's first 24,000 characters hold none of it: only S3 has the end.
    assert PATCH_LOG_END[1] not in invocation["StandardOutputContent"]
    # The tail starts on a whole line of the log, not mid-line.
    assert output.stdout.splitlines()[0] in log.splitlines()
    assert len(output.stdout.encode()) <= TAIL_BYTES
    assert output.stderr == "failed to run commands: exit status 1"
    assert output.stderr_source == "api"
    assert output.note == ""


def test_s3_access_denied_falls_back_to_the_api_text_with_a_note(ssm, s3) -> None:
    ssm_client, ssm_stub = ssm
    s3_client, s3_stub = s3
    listing = load(PATCH_LIST)
    command_id, instance_id = ids_of(listing)
    log = patch_log()
    stub_ssm(ssm_stub, listing, long_patch_invocation(log), instance_id, "PatchLinux")
    s3_stub.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403)

    output = fetch_step_output(ssm_client, s3_client, command_id, instance_id, no_deadline)

    assert output.stdout == log[:API_STDOUT_CAP]
    assert output.stdout_source == "api"
    assert output.note == (
        "stdout: first 24,000 characters only (S3 output not read: AccessDenied (GetObject))"
    )


def test_a_windows_powershell_failure_gives_its_lines_with_crlf_normalised(ssm, s3) -> None:
    ssm_client, ssm_stub = ssm
    s3_client, _ = s3  # short output: S3 must not be asked (the stubber fails any call)
    listing = load(PS_LIST)
    command_id, instance_id = ids_of(listing)
    invocation = load(PS_GET)
    assert "\r\n" in invocation["StandardOutputContent"]
    stub_ssm(ssm_stub, listing, invocation, instance_id, "aws:runPowerShellScript")

    output = fetch_step_output(ssm_client, s3_client, command_id, instance_id, no_deadline)

    assert output.step == "aws:runPowerShellScript"
    assert "\r" not in output.stdout + output.stderr
    assert output.stdout.splitlines() == [
        "Stopping service W3SVC...",
        "Copying site files to D:\\inetpub\\wwwroot",
        "Starting service W3SVC...",
    ]
    assert output.stderr.splitlines()[0].startswith("Start-Service : Service 'World Wide Web")
    assert output.stderr.splitlines()[-1] == "failed to run commands: exit status 1"
    assert (output.stdout_source, output.stderr_source, output.note) == ("api", "api", "")


def test_a_long_windows_output_is_completed_from_s3_with_crlf_normalised(ssm, s3) -> None:
    ssm_client, ssm_stub = ssm
    s3_client, s3_stub = s3
    listing = load(PS_LIST)
    command_id, instance_id = ids_of(listing)
    log = patch_log(newline="\r\n")
    invocation = load(PS_GET)
    invocation["StandardOutputContent"] = log[:API_STDOUT_CAP]
    # Virtual-hosted form of the URL: the parser takes both forms S3 URLs come in.
    key = f"ps/{command_id}/{instance_id}/awsrunPowerShellScript/0.awsrunPowerShellScript/stdout"
    invocation["StandardOutputUrl"] = (
        f"https://amzn-s3-demo-bucket.s3.us-east-1.amazonaws.com/{key}"
    )
    stub_ssm(ssm_stub, listing, invocation, instance_id, "aws:runPowerShellScript")
    s3_stub.add_response(
        "get_object",
        object_tail(log.encode(), TAIL_BYTES),
        {"Bucket": "amzn-s3-demo-bucket", "Key": key, "Range": f"bytes=-{TAIL_BYTES}"},
    )

    output = fetch_step_output(ssm_client, s3_client, command_id, instance_id, no_deadline)

    assert output.stdout_source == "s3"
    assert "\r" not in output.stdout
    assert output.stdout.splitlines()[-len(PATCH_LOG_END) :] == PATCH_LOG_END


def test_a_single_step_update_agent_run_still_works(ssm, s3) -> None:
    """AWS's own CLI examples, verbatim: the listing names the one step, aws:updateSsmAgent."""
    ssm_client, ssm_stub = ssm
    s3_client, _ = s3
    listing = load("list_command_invocations_update_agent.json")
    invocation = load("get_command_invocation_update_agent.json")
    command_id = invocation["CommandId"]
    # The listing holds two instances' invocations; the one asked for is picked.
    stub_ssm(ssm_stub, listing, invocation, "i-02573cafcfEXAMPLE", "aws:updateSsmAgent")

    output = fetch_step_output(
        ssm_client, s3_client, command_id, "i-02573cafcfEXAMPLE", no_deadline
    )

    assert output.step == "aws:updateSsmAgent"
    assert output.stdout == invocation["StandardOutputContent"]
    assert output.stdout.splitlines()[-1] == (
        "amazon-ssm-agent 2.3.842.0 has already been installed, update skipped"
    )
    assert (output.stderr, output.note) == ("", "")


def test_output_cut_short_without_any_s3_location_says_so(ssm, s3) -> None:
    ssm_client, ssm_stub = ssm
    s3_client, _ = s3
    listing = load(PS_LIST)
    command_id, instance_id = ids_of(listing)
    invocation = load(PS_GET)
    invocation["StandardOutputContent"] = patch_log()[:API_STDOUT_CAP]
    stub_ssm(ssm_stub, listing, invocation, instance_id, "aws:runPowerShellScript")

    output = fetch_step_output(ssm_client, s3_client, command_id, instance_id, no_deadline)

    assert output.note == "stdout: first 24,000 characters only (no S3 output)"
    assert len(output.stdout) == API_STDOUT_CAP


def test_the_time_check_comes_before_every_call(ssm, s3) -> None:
    ssm_client, ssm_stub = ssm
    s3_client, _ = s3
    listing = load(PATCH_LIST)
    command_id, instance_id = ids_of(listing)
    stub_ssm(ssm_stub, listing, long_patch_invocation(patch_log()), instance_id, "PatchLinux")
    checks = []

    def check_time() -> None:
        checks.append(len(checks))
        if len(checks) == 3:  # before the S3 read: the budget is spent
            raise TimeoutError("time budget of 10 s per batch spent")

    output = fetch_step_output(ssm_client, s3_client, command_id, instance_id, check_time)

    assert len(checks) == 3
    assert output.stdout_source == "api"
    assert output.note == (
        "stdout: first 24,000 characters only "
        "(S3 output not read: time budget of 10 s per batch spent)"
    )


def test_a_spent_budget_stops_before_the_first_call(ssm, s3) -> None:
    def spent() -> None:
        raise TimeoutError("spent")

    with pytest.raises(TimeoutError):
        fetch_step_output(ssm[0], s3[0], "3b2d4a1e-7c61-4e0b-9b5a-5f0e8c6d2a17", "i-0aaa", spent)


def test_ssm_errors_reach_the_caller(ssm, s3) -> None:
    ssm_client, ssm_stub = ssm
    ssm_stub.add_client_error("list_command_invocations", "InvalidCommandId")

    with pytest.raises(Exception, match="InvalidCommandId"):
        fetch_step_output(
            ssm_client, s3[0], "3b2d4a1e-7c61-4e0b-9b5a-5f0e8c6d2a17", "i-0aaa", no_deadline
        )


@pytest.mark.parametrize(
    ("listing", "reason"),
    [
        ({"CommandInvocations": []}, "no invocation of command"),
        (
            {"CommandInvocations": [{"InstanceId": "i-0aaa", "CommandPlugins": []}]},
            "lists no steps",
        ),
    ],
)
def test_a_run_without_steps_is_not_found(ssm, s3, listing: dict, reason: str) -> None:
    ssm_client, ssm_stub = ssm
    ssm_stub.add_response("list_command_invocations", listing)

    with pytest.raises(OutputNotFoundError, match=reason):
        fetch_step_output(
            ssm_client, s3[0], "3b2d4a1e-7c61-4e0b-9b5a-5f0e8c6d2a17", "i-0aaa", no_deadline
        )


def _plugin(name: str, status: str, output: str = "") -> dict:
    return {"Name": name, "Status": status, "Output": output}


@pytest.mark.parametrize(
    ("plugins", "picked"),
    [
        ([_plugin("a", "Success"), _plugin("b", "Failed"), _plugin("c", "Failed")], "b"),
        ([_plugin("a", "Success"), _plugin("b", "TimedOut")], "b"),
        ([_plugin("a", "Cancelled"), _plugin("b", "Pending")], "a"),
        ([_plugin("a", "Success"), _plugin("b", "Success"), _plugin("c", "Pending")], "b"),
        (
            [
                _plugin("a", "Success"),
                _plugin("b", "Success", "Step execution skipped due to incompatible platform."),
            ],
            "a",
        ),
        ([_plugin("a", "Pending")], "a"),
        ([{"Status": "Failed"}], None),
        ([], None),
    ],
)
def test_pick_step(plugins: list, picked: str | None) -> None:
    chosen = pick_step(plugins)
    assert (chosen or {}).get("Name") == picked


@pytest.mark.parametrize(
    ("text", "cut"),
    [
        ("x" * 24_000, True),
        ("x" * 23_999, False),
        ("some output\n--output truncated--", True),
        ("short and whole\n", False),
    ],
)
def test_looks_cut(text: str, cut: bool) -> None:
    assert looks_cut(text, 24_000) is cut


@pytest.mark.parametrize(
    ("url", "location"),
    [
        (
            "https://s3.us-east-1.amazonaws.com/bucket-1/pre/fix/stdout",
            S3Location("bucket-1", "pre/fix/stdout"),
        ),
        ("https://s3.amazonaws.com/b.dotted/k", S3Location("b.dotted", "k")),
        ("https://s3-eu-west-1.amazonaws.com/b/k/l", S3Location("b", "k/l")),
        (
            "https://my.bucket.s3.eu-west-1.amazonaws.com/a%20b/stdout",
            S3Location("my.bucket", "a b/stdout"),
        ),
        ("https://b.s3.cn-north-1.amazonaws.com.cn/k", S3Location("b", "k")),
        ("https://example.com/b/k", None),
        ("https://s3.us-east-1.amazonaws.com/bucket-only", None),
        ("", None),
    ],
)
def test_s3_location(url: str, location: S3Location | None) -> None:
    assert s3_location(url) == location


def test_derived_location_follows_the_agents_layout() -> None:
    plugin = copy.deepcopy(load(PATCH_LIST)["CommandInvocations"][0]["CommandPlugins"][1])
    assert derived_location(plugin, "PatchLinux", "stdout") == S3Location(
        "amzn-s3-demo-bucket",
        "patching/3b2d4a1e-7c61-4e0b-9b5a-5f0e8c6d2a17/i-0f3c5a1d2e4b6f789/"
        "awsrunShellScript/PatchLinux/stdout",
    )
    plugin["OutputS3KeyPrefix"] = "p/c/i/awsrunPowerShellScript"
    assert derived_location(plugin, "aws:runPowerShellScript", "stderr") == S3Location(
        "amzn-s3-demo-bucket", "p/c/i/awsrunPowerShellScript/0.awsrunPowerShellScript/stderr"
    )
    plugin["OutputS3BucketName"] = ""
    assert derived_location(plugin, "PatchLinux", "stdout") is None


def test_a_step_without_url_is_read_at_its_derived_location(ssm, s3) -> None:
    ssm_client, ssm_stub = ssm
    s3_client, s3_stub = s3
    listing = load(PATCH_LIST)
    command_id, instance_id = ids_of(listing)
    for plugin in listing["CommandInvocations"][0]["CommandPlugins"]:
        plugin["StandardOutputUrl"] = ""
    log = patch_log()
    invocation = long_patch_invocation(log)
    invocation["StandardOutputUrl"] = ""
    stub_ssm(ssm_stub, listing, invocation, instance_id, "PatchLinux")
    s3_stub.add_response(
        "get_object",
        object_tail(log.encode(), TAIL_BYTES),
        {
            "Bucket": "amzn-s3-demo-bucket",
            "Key": f"patching/{command_id}/{instance_id}/awsrunShellScript/PatchLinux/stdout",
            "Range": f"bytes=-{TAIL_BYTES}",
        },
    )

    output = fetch_step_output(ssm_client, s3_client, command_id, instance_id, no_deadline)

    assert output.stdout.splitlines()[-1] == PATCH_LOG_END[-1]


def test_a_whole_small_object_keeps_its_first_line(s3) -> None:
    s3_client, s3_stub = s3
    data = b"first line\r\nsecond line\r\n"
    s3_stub.add_response("get_object", object_tail(data, 100))

    assert read_tail(s3_client, S3Location("b", "k"), 100) == "first line\nsecond line\n"


def test_decode_utf16le_cut_mid_character_and_with_bom() -> None:
    text = "Installing KB5031364\r\nÉchec de l'installation\r\n"
    utf16 = text.encode("utf-16-le")
    # Cut one byte into the first character: the odd byte is dropped, the rest decodes whole.
    assert decode(utf16[1:], cut=True) == "nstalling KB5031364\nÉchec de l'installation\n"
    assert decode(b"\xff\xfe" + utf16) == text.replace("\r\n", "\n")


def test_decode_utf8_cut_mid_character_drops_the_partial_character() -> None:
    data = "é€ done\n".encode()
    assert decode(data[1:], cut=True) == "€ done\n"
    assert decode(b"\xef\xbb\xbfwith bom\r\n") == "with bom\n"


def test_without_an_s3_client_the_api_text_comes_with_a_note(ssm) -> None:
    ssm_client, ssm_stub = ssm
    listing = load(PATCH_LIST)
    command_id, instance_id = ids_of(listing)
    log = patch_log()
    stub_ssm(ssm_stub, listing, long_patch_invocation(log), instance_id, "PatchLinux")

    output = fetch_step_output(ssm_client, None, command_id, instance_id, no_deadline)

    assert output.stdout == log[:API_STDOUT_CAP]
    assert output.note == (
        "stdout: first 24,000 characters only (S3 output not read: no S3 client)"
    )
