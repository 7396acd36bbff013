"""The wire contract: every view, envelope, ACK and event payload as a msgspec struct.

``views`` holds each role's view, ``wire`` the envelopes, ACKs and event payloads, ``docs`` turns them
(with the command structs of ``server/core/commands.py``) into ``docs/schema/`` and ``docs/openapi.yaml``
(``python -m server docs``); ``tests/transport/test_contract.py`` holds the views to them.
"""
