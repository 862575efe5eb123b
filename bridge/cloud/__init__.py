"""StandCloud: addresses, login, token storage, upload of the outbox, reading back.

Nothing here imports pytest; ``bridge.cloud.plugin`` is the one bridge to it.
"""
