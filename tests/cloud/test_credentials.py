"""A credential goes only to an address this stand's user approved (issue 9)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cloud_support import TOKEN, add_run

from bridge.cli.main import main
from bridge.cloud.settings import CloudSettings
from bridge.cloud.tokens import FileTokenStore
from bridge.cloud.urls import Endpoints
from bridge.config import StandCloudSection
from bridge.store import Store


def _stand(tmp_path: Path, stand_cloud: str) -> Path:
    folder = tmp_path / "cloned-plan"
    folder.mkdir()
    config = folder / "hardpy.toml"
    config.write_text(f'[stand_cloud]\n{stand_cloud}\n[store]\npath = "runs.db"\n')
    with Store.open(folder / "runs.db") as store:
        add_run(store)
    return config


def _posts(sim) -> int:
    return len(sim.db.execute("SELECT * FROM report_posts"))


def test_env_key_is_not_sent_to_an_address_only_a_checked_out_hardpy_toml_names(
    tmp_path, sim, capsys, monkeypatch
):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    config = _stand(tmp_path, f'address = "{sim.address}"')
    assert main(["--config", str(config), "sync"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"BRIDGE_SC_ADDRESS={sim.address}" in err[0], err
    assert "sc-login" in err[0] and sim.api_key not in err[0]
    assert _posts(sim) == 0  # nothing, not even a refused POST, reached the address


def test_env_key_goes_to_the_address_named_beside_it(tmp_path, sim, monkeypatch):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    config = _stand(tmp_path, f'address = "{sim.address}"')
    assert main(["--config", str(config), "sync"]) == 0
    assert sim.db.report_count() == 1


def test_env_address_alone_is_where_the_env_key_goes(tmp_path, sim, monkeypatch):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    config = _stand(tmp_path, "autosync = false")
    assert main(["--config", str(config), "sync"]) == 0
    assert sim.db.report_count() == 1


def test_env_key_approved_for_another_address_is_refused_here(tmp_path, sim, capsys, monkeypatch):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", "standcloud.example.com")
    config = _stand(tmp_path, f'address = "{sim.address}"')
    assert main(["--config", str(config), "sync"]) == 1
    assert "HARDPY_SC_API_KEY is not sent to" in capsys.readouterr().err
    assert _posts(sim) == 0


def test_a_bad_env_address_is_one_clear_error_naming_the_variable(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", "ftp://x")
    config = _stand(tmp_path, 'address = "127.0.0.1:9"')
    assert main(["--config", str(config), "sc-logout"]) == 1
    assert capsys.readouterr().err.startswith("sc-logout: error: BRIDGE_SC_ADDRESS:")


def test_sc_login_to_an_address_approves_it_for_the_env_key(sim, monkeypatch, _isolated_tokens):
    section = StandCloudSection(address=sim.address)
    monkeypatch.setenv("HARDPY_SC_API_KEY", "user-key")
    assert CloudSettings.from_section(section).api_key is None
    FileTokenStore(_isolated_tokens).save(Endpoints.from_address(sim.address).base, TOKEN)
    assert CloudSettings.from_section(section).api_key == "user-key"


def test_api_key_beside_address_in_one_hardpy_toml_keeps_working(
    tmp_path, sim, monkeypatch
):
    """HardPy's own set-up; the user's own key from the environment stays home."""
    monkeypatch.setenv("HARDPY_SC_API_KEY", "the-users-own-key")
    config = _stand(tmp_path, f'address = "{sim.address}"\napi_key = "{sim.api_key}"')
    assert main(["--config", str(config), "sync"]) == 0
    assert sim.db.report_count() == 1


@pytest.mark.parametrize("address", ["http://192.0.2.7:8080", "http://standcloud.example.com"])
def test_plain_http_to_another_machine_warns_on_every_command(tmp_path, capsys, address):
    config = _stand(tmp_path, f'address = "{address}"')
    for command in (["sc-logout"], ["sync"], ["cloud", "runs"]):
        main(["--config", str(config), *command])
        err = capsys.readouterr().err
        assert "is plain http://" in err and "unencrypted" in err, command


@pytest.mark.parametrize(
    "address", ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9",
                "http://demo.standcloud.localhost"]
)
def test_plain_http_to_loopback_does_not_warn(tmp_path, capsys, address):
    config = _stand(tmp_path, f'address = "{address}"')
    main(["--config", str(config), "sc-logout"])
    assert "plain http" not in capsys.readouterr().err


def test_sc_login_check_says_why_the_env_key_is_withheld(tmp_path, sim, capsys, monkeypatch):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    config = _stand(tmp_path, f'address = "{sim.address}"')
    assert main(["--config", str(config), "sc-login", "--check"]) == 1
    err = capsys.readouterr().err
    assert "HARDPY_SC_API_KEY is not sent to" in err and "BRIDGE_SC_ADDRESS" in err
