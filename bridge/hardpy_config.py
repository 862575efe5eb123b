"""HardPy's view of ``hardpy.toml``: ``HardpyConfig``, ``get_hardpy_config()``, ``Group``.

A HardPy plan reads its project settings with ``get_hardpy_config()`` (the test plan's
name, the chosen test configuration, the StandCloud address). We answer with the same
names and shapes, read from the same file, with the values this session runs with
(``--hardpy-tests-name``, ``--hardpy-current-test-config``, ``--sc-address`` applied).
Unlike HardPy's loader, which refuses unknown keys, this is only a view: our own
validation (bridge.config) has already accepted the file.
"""

from __future__ import annotations

import sys
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class Group(str, Enum):
    """Where a case or module runs in the plan (``case_group`` / ``module_group``)."""

    SETUP = "setup"
    MAIN = "main"
    TEARDOWN = "teardown"


class _Section(BaseModel):
    model_config = ConfigDict(extra="allow")


class DatabaseConfig(_Section):
    storage_type: str = "couchdb"
    user: str = "dev"
    password: str = "dev"
    host: str = "localhost"
    port: int = 5984
    storage_path: str = ".hardpy"


class FrontendConfig(_Section):
    host: str = "localhost"
    port: int = 8000
    language: str = "en"


class StandCloudConfig(_Section):
    address: str = ""
    connection_only: bool = False
    autosync: bool = False
    autosync_timeout: int = 30
    api_key: str = ""


class TestConfig(_Section):
    __test__ = False  # not a pytest test class
    name: str
    description: str = ""
    file: str | None = None


class HardpyConfig(_Section):
    """The project's settings under HardPy's names (``hardpy.toml``)."""

    title: str = "HardPy TOML config"
    tests_name: str = ""
    database: DatabaseConfig = DatabaseConfig()
    frontend: FrontendConfig = FrontendConfig()
    stand_cloud: StandCloudConfig = StandCloudConfig()
    current_test_config: str = ""
    test_configs: list[TestConfig] = []


_current_test_config = ""


def set_current_test_config(name: str | None) -> None:
    """The plugin passes ``--hardpy-current-test-config`` here."""
    global _current_test_config
    _current_test_config = name or ""


def get_hardpy_config() -> HardpyConfig:
    """This session's ``hardpy.toml`` as HardPy presents it (defaults without a file)."""
    from bridge.config import in_use

    stand = in_use()
    data: dict[str, Any] = {}
    if stand.path is not None:
        data = tomllib.loads(stand.path.read_text(encoding="utf-8"))
    config = HardpyConfig.model_validate(data)
    config.tests_name = stand.test_plan_name
    cloud = stand.model.stand_cloud
    config.stand_cloud = config.stand_cloud.model_copy(update={
        "address": cloud.address, "connection_only": cloud.connection_only,
        "autosync": cloud.autosync, "autosync_timeout": cloud.autosync_timeout,
    })
    if _current_test_config:
        config.current_test_config = _current_test_config
    return config
