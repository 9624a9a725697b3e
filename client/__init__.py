"""The HTTP sync client: what a tablet and a hub both use to talk to a Hesabu server.

Standard library only (python-for-android safe), no Kivy, no Flask, no device store:
it may import `sync/` and nothing of `field_app/` or `server/` (tests/test_architecture.py).

- `transport`: `HttpTransport` (one keep-alive connection, retries with `RetryPolicy`,
  TLS with certificate pins) and its `Response`.
- `api`: `SyncApi`, one method per endpoint of docs/sync-protocol.md.
- `network`: `NetworkMeter`, what the requests taught about the network to the server
  (round trip, upload rate, the server's protocol) and the push compression it calls for.
- `uploads`: where a resumable attachment upload goes on after the server's answer.
- `errors`: `SyncError` (with the server's stable code), `SyncCancelled`, `CLIENT_CODES`.
"""
