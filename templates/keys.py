"""The product's customer-managed KMS keys: the key resource and the key-policy statements the
pipeline key (templates/notifications.py) and the alarm key (templates/alarm_topic.py) share."""

from __future__ import annotations

from awacs import kms as kms_actions
from awacs.aws import Allow, Principal, Statement
from troposphere import Sub, kms

from templates.common import policy_document


def customer_managed_key(title: str, description: str, statements: list[Statement]) -> kms.Key:
    """A rotating key whose policy lets the account administer it through IAM, then `statements`."""
    return kms.Key(
        title,
        DeletionPolicy="Delete",
        UpdateReplacePolicy="Delete",
        PendingWindowInDays=30,  # the longest: a key deleted by mistake can still be recovered
        Description=description,
        EnableKeyRotation=True,
        KeyPolicy=policy_document([_account_administers_key(), *statements]),
    )


def service_uses_key(sid: str, service: str | Sub) -> Statement:
    """A service principal may encrypt to and decrypt with this key (Decrypt, GenerateDataKey)."""
    return Statement(
        Sid=sid,
        Effect=Allow,
        Principal=Principal("Service", service),
        Action=[kms_actions.Decrypt, kms_actions.GenerateDataKey],
        Resource=["*"],  # in a key policy, "*" means this key
    )


def _account_administers_key() -> Statement:
    # KMS developer guide, "Default key policy": the account administers the key through IAM;
    # without it the key could become unmanageable.
    return Statement(
        Sid="AccountAdministersKeyThroughIam",
        Effect=Allow,
        Principal=Principal("AWS", Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")),
        Action=[kms_actions.Action("*")],
        Resource=["*"],  # in a key policy, "*" means this key
    )
