"""The troposphere workaround classes in templates/functions.py are still needed.

troposphere 4.11.1's `awslambda.LoggingConfig` has no `LogFormat` and its `ScalingConfig` (used by
`EventSourceMapping`) has no `MaximumConcurrency`, so templates/functions.py builds its own
`FunctionLoggingConfig`, `LocalCodeFunction` (for its LoggingConfig) and `EventSourceMapping`.
These tests fail the day troposphere gains the properties: delete the classes then, and use
troposphere's own.
"""

from troposphere import awslambda


def test_troposphere_logging_config_still_lacks_log_format():
    assert "LogFormat" not in awslambda.LoggingConfig.props, (
        "troposphere's LoggingConfig has LogFormat now: delete FunctionLoggingConfig and the "
        "LoggingConfig override of LocalCodeFunction in templates/functions.py"
    )


def test_troposphere_event_source_mapping_scaling_config_still_lacks_maximum_concurrency():
    scaling_config, _ = awslambda.EventSourceMapping.props["ScalingConfig"]
    assert "MaximumConcurrency" not in scaling_config.props, (
        "troposphere's EventSourceMapping ScalingConfig has MaximumConcurrency now: delete "
        "EventSourceScalingConfig and EventSourceMapping in templates/functions.py"
    )
