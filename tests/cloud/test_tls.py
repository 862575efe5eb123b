"""HTTPS with the simulator's generated CA: verified when trusted, refused clearly when not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cloud_browser import approve
from cloud_support import FAST, add_run, state_of

from bridge.cloud.auth import ApiKeyCredentials, TokenCredentials
from bridge.cloud.client import StandCloudClient
from bridge.cloud.login import poll_for_token, request_device_code
from bridge.cloud.settings import CloudSettings
from bridge.cloud.sim import SimConfig, SimServer
from bridge.cloud.sync import Uploader
from bridge.cloud.tokens import token_stores
from bridge.cloud.urls import Endpoints
from bridge.config import StandCloudSection
from bridge.errors import TLSError


@pytest.fixture(scope="module")
def tls_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimServer]:
    """One HTTPS simulator for the module (its CA takes 0.5 s to make); each test checks
    only its own runs on it."""
    data_dir = tmp_path_factory.mktemp("tls-sim")
    with SimServer(SimConfig(https=True, data_dir=data_dir, interval=0.01)) as server:
        yield server


def test_address_without_scheme_means_https(tls_sim):
    assert Endpoints.from_address(tls_sim.address).base == tls_sim.url


def test_verified_login_and_upload_with_the_generated_ca(tls_sim, store):
    section = StandCloudSection(address=tls_sim.address, ca_file=tls_sim.ca_file)
    settings = CloudSettings.from_section(section)
    endpoints = settings.endpoints
    with httpx.Client(verify=settings.ssl_verify()) as http:
        device = request_device_code(http, endpoints)
        approve(device["verification_uri_complete"], ca_file=tls_sim.ca_file)
        token = poll_for_token(http, endpoints, device)
    credentials = TokenCredentials(endpoints, token_stores()[0], token)
    run_id = add_run(store)
    with StandCloudClient(settings, credentials) as client:
        result = Uploader(store, client, policy=FAST).sync()
    assert result.uploaded == [run_id] and state_of(store, run_id) == "uploaded"
    assert tls_sim.db.report_count(run_id) == 1


def test_untrusted_certificate_is_refused_saying_what_to_set(tls_sim, store):
    settings = CloudSettings.from_section(StandCloudSection(address=tls_sim.address))
    with (
        StandCloudClient(settings, ApiKeyCredentials(tls_sim.api_key)) as client,
        pytest.raises(TLSError, match="ca_file") as caught,
    ):
        client.healthcheck()
    assert "not trusted" in str(caught.value)


def test_untrusted_certificate_stops_a_sync_and_the_run_goes_up_once_trusted(tls_sim, store):
    run_id = add_run(store)
    settings = CloudSettings.from_section(StandCloudSection(address=tls_sim.address))
    with StandCloudClient(settings, ApiKeyCredentials(tls_sim.api_key)) as client:
        result = Uploader(store, client, policy=FAST).sync()
    assert "ca_file" in result.error and state_of(store, run_id) == "pending"
    section = StandCloudSection(address=tls_sim.address, ca_file=tls_sim.ca_file)
    trusted = CloudSettings.from_section(section)
    with StandCloudClient(trusted, ApiKeyCredentials(tls_sim.api_key)) as client:
        assert Uploader(store, client, policy=FAST).sync().uploaded == [run_id]
    assert tls_sim.db.report_count(run_id) == 1


def test_verify_false_works_but_warns(tls_sim):
    settings = CloudSettings.from_section(StandCloudSection(address=tls_sim.address, verify=False))
    assert "verification is OFF" in settings.warnings[0]
    with StandCloudClient(settings, ApiKeyCredentials(tls_sim.api_key)) as client:
        client.healthcheck()


def test_relative_ca_file_is_relative_to_the_config(tls_sim, tmp_path):
    section = StandCloudSection(address=tls_sim.address, ca_file=Path("sim/ca.pem"))
    settings = CloudSettings.from_section(section, root=tmp_path)
    assert settings.ca_file == tmp_path / "sim" / "ca.pem"


@pytest.mark.parametrize(
    ("address", "base"),
    [
        ("demo.standcloud.localhost", "https://demo.standcloud.localhost"),
        ("Demo.StandCloud.localhost:8443/", "https://demo.standcloud.localhost:8443"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("https://sc.example", "https://sc.example"),
    ],
)
def test_addresses_become_base_urls(address, base):
    endpoints = Endpoints.from_address(address)
    assert endpoints.base == base
    assert endpoints.test_report == f"{base}/hardpy/api/v1/test_report"
    assert endpoints.token == f"{base}/auth/api/oidc/token"


@pytest.mark.parametrize("address", ["", "ftp://x", "https://x/path", "host:notaport"])
def test_bad_addresses_are_refused(address):
    from bridge.errors import StandCloudError

    with pytest.raises(StandCloudError):
        Endpoints.from_address(address)
