"""Where a resumable upload goes on after the server answered a chunk (tus-like).

The tablet (field_app/core/attachments.py) and a hub relaying photos upstream
(server/services/hub.py) send files in chunks at an offset; the server answers with its
new `Upload-Offset`, or 409 when its offset is not ours. These helpers read that answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from client.errors import SyncError

if TYPE_CHECKING:
    from client.api import SyncApi
    from client.transport import Response


def conflict_offset(resp: Response) -> int | None:
    """Where the server is, from a 409 answer (`Upload-Offset`, else `details.offset`)."""
    raw = resp.headers.get("upload-offset", "")
    if raw.isdigit():
        return int(raw)
    try:
        err = resp.json()["error"]
        offset = err["details"]["offset"] if err["code"] == "attachment.offset_mismatch" \
            else None
    except (ValueError, TypeError, KeyError):
        return None
    return offset if isinstance(offset, int) and offset >= 0 else None


def refusal(resp: Response, path: Path) -> SyncError:
    """A 409 that is not about the offset (e.g. another Upload-Length for this hash)."""
    code, message = "attachment.refused", f"the server answered {resp.status}"
    try:
        err = resp.json()["error"]
        code, message = str(err["code"]), str(err["message"])
    except (ValueError, TypeError, KeyError):
        pass
    return SyncError(f"The server refused {path.name}: {message}", code=code,
                     status=resp.status)


def offset_after(api: SyncApi, sha: str, offset: int, sent: int, resp: Response,
                 path: Path) -> int:
    """Where the upload goes on after a chunk of `sent` bytes at `offset` was answered
    with `resp`: the server's new Upload-Offset, or on a 409 the offset it says it has
    (asked with HEAD if the answer does not say). A 409 that leaves the offset where it
    was is not about the offset (e.g. another Upload-Length): the file is refused."""
    if resp.status != 409:
        return int(resp.headers.get("upload-offset", offset + sent))
    found = conflict_offset(resp)
    now = api.attachment_offset(sha) if found is None else found
    if now == offset:
        raise refusal(resp, path)
    return now
