"""The deployed system on a local moto server, shared by the tests of one module.

The server is stopped when the module's tests are done, and also when anything in the fixture
fails (deploy, inspection): MotoServer's `__exit__` runs in every case.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# The harness's modules import each other by their plain names, as demo.py does.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from aws_cli import aws_environment
from deploy import Deployment, deploy
from emulator import MotoServer
from pipeline import Pipeline
from readback import inspect


@dataclass
class LocalAws:
    moto: MotoServer
    deployment: Deployment
    facts: dict[str, Any]  # what the emulator created, read back through the service APIs
    pipeline: Pipeline
    log_path: Path


@pytest.fixture(scope="module")
def local_aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAws]:
    workdir = tmp_path_factory.mktemp("local-aws")
    log_path = workdir / "moto.log"
    with MotoServer(log_path=log_path) as moto, aws_environment(moto.endpoint):
        deployment = deploy(moto, workdir)
        yield LocalAws(moto, deployment, inspect(deployment), Pipeline(deployment), log_path)
