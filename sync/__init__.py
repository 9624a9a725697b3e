"""The sync protocol, pure: no I/O, no framework (see docs/sync-protocol.md).

Modules, each with one job:

- `ids`: UUIDv7 for ops and records, short repeat-instance ids.
- `hlc`: the hybrid logical clock and its sortable string encoding.
- `canonical`: canonical JSON (equality of values, size of ops).
- `fields`: answers <-> field paths (`flatten`, `unflatten`, `field_changes`).
- `ops`: the op format, wire validation (`Op.from_wire`), `make_op`.
- `merge`: the per-field rule (`merge_field`), versions and conflicts.
- `admission`: what a receiver checks before applying (`check_admission`).
- `codes`: the code registry and `Rejection`.
- `replica`: an in-memory replica, the reference for the device and server stores.
- `batching`: `plan_batches` for pushing an outbox.
- `messages`: the one encoder and decoder of the wire, at both ends: an op's wire text
  (`encode_op`, `QueuedOp`), push/pull bodies (`encode_push`, `PushRequest`,
  `PullPage`), compression.
- `summary`: `SyncSummary` and its plain-language `describe()`.
"""
