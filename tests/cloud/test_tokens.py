"""Token storage: 0600 file written atomically, permission repair, keyring selection."""

from __future__ import annotations

import os
import stat

import pytest
from cloud_support import TOKEN, MemoryKeyring

from bridge.cloud import tokens
from bridge.cloud.tokens import FileTokenStore, KeyringTokenStore, token_stores
from bridge.errors import AuthError


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_token_file_is_created_0600_in_the_configured_directory(_isolated_tokens):
    store = token_stores()[0]
    store.save("https://sc.example", TOKEN)
    assert store.path.parent == _isolated_tokens
    assert _mode(store.path) == 0o600
    assert store.load("https://sc.example") == TOKEN
    assert not [p for p in _isolated_tokens.iterdir() if p.name.startswith(".tokens-")]


def test_file_with_loose_permissions_is_repaired_and_the_user_is_told(tmp_path):
    notes = []
    store = FileTokenStore(tmp_path, notes.append)
    store.save("https://sc.example", TOKEN)
    os.chmod(store.path, 0o644)
    assert store.load("https://sc.example") == TOKEN
    assert _mode(store.path) == 0o600
    assert "repaired to 0600" in notes[0] and "0644" in notes[0]


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to create a file owned by another user")
def test_file_owned_by_another_user_is_refused(tmp_path):
    store = FileTokenStore(tmp_path)
    store.save("https://sc.example", TOKEN)
    os.chown(store.path, 12345, 12345)
    with pytest.raises(AuthError, match="belongs to another user"):
        store.load("https://sc.example")


def test_damaged_file_says_how_to_recover(tmp_path):
    store = FileTokenStore(tmp_path)
    store.save("https://sc.example", TOKEN)
    store.path.write_text("{not json")
    with pytest.raises(AuthError, match="sc-logout"):
        store.load("https://sc.example")


def test_delete_removes_the_address_and_the_empty_file(tmp_path):
    store = FileTokenStore(tmp_path)
    store.save("https://a", TOKEN)
    store.save("https://b", TOKEN)
    assert store.delete("https://a") and store.load("https://b") == TOKEN
    assert store.delete("https://b") and not store.path.exists()
    assert not store.delete("https://b")


def test_a_working_keyring_is_preferred_and_the_file_is_the_fallback(monkeypatch):
    backend = MemoryKeyring()
    monkeypatch.delenv("BRIDGE_TOKEN_STORE")
    monkeypatch.setattr(tokens, "working_keyring", lambda: backend)
    stores = token_stores()
    assert isinstance(stores[0], KeyringTokenStore) and isinstance(stores[1], FileTokenStore)
    stores[0].save("https://sc.example", TOKEN)
    assert stores[0].load("https://sc.example") == TOKEN
    assert stores[0].delete("https://sc.example") and not backend.data


def test_headless_keyring_is_not_used(monkeypatch):
    import keyring
    from keyring.backends import fail

    monkeypatch.delenv("BRIDGE_TOKEN_STORE")
    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    assert tokens.working_keyring() is None
    assert [type(s) for s in token_stores()] == [FileTokenStore]
