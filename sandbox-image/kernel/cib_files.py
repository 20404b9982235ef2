"""/mnt/data for the supervisor: listing, change detection, and file transfer with the bot.

Paths from the bot are relative to /mnt/data. Symbolic links are never followed, so a
link that user code planted cannot make the supervisor read or write elsewhere.
"""

import base64
import hashlib
import mimetypes
import os
import shutil
import stat

DATA_DIR = os.environ.get("CIB_DATA_DIR", "/mnt/data")
MAX_ENTRIES = 5000
MAX_REPORTED_CHANGES = 100
MAX_DEPTH = 12
CHUNK_BYTES = 768 * 1024
REQUEST_TYPES = {"list_files", "get_file", "put_file"}

mimetypes.add_type("text/csv", ".csv")
mimetypes.add_type("text/markdown", ".md")
mimetypes.add_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")


def prepare():
    os.makedirs(DATA_DIR, exist_ok=True)


def mime_type(path):
    guessed, _ = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"


def walk():
    """Yields (relative path, lstat) of regular files, bounded in count and depth."""
    count = 0
    stack = [("", 0)]
    while stack:
        relative_dir, depth = stack.pop()
        try:
            entries = list(os.scandir(os.path.join(DATA_DIR, relative_dir)))
        except OSError:
            continue
        for entry in sorted(entries, key=lambda e: e.name):
            relative = os.path.join(relative_dir, entry.name) if relative_dir else entry.name
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                if depth < MAX_DEPTH and not entry.name.startswith("."):
                    stack.append((relative, depth + 1))
            elif stat.S_ISREG(info.st_mode):
                count += 1
                if count > MAX_ENTRIES:
                    return
                yield relative, info


def snapshot():
    return {path: (info.st_size, info.st_mtime_ns, info.st_ino) for path, info in walk()}


def describe(path, info):
    return {
        "path": path,
        "size": info.st_size,
        "mtime_ms": info.st_mtime_ns // 1_000_000,
        "mime": mime_type(path),
    }


def changed_since(before):
    """Files created or modified since `before`, newest last; and whether the list was cut."""
    changed = []
    for path, info in walk():
        if before.get(path) != (info.st_size, info.st_mtime_ns, info.st_ino):
            changed.append(describe(path, info))
    changed.sort(key=lambda item: (item["mtime_ms"], item["path"]))
    return changed[:MAX_REPORTED_CHANGES], max(len(changed) - MAX_REPORTED_CHANGES, 0)


def clear():
    for entry in os.scandir(DATA_DIR):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            try:
                os.unlink(entry.path)
            except OSError:
                pass


class PathError(ValueError):
    pass


def resolve(relative, for_writing=False):
    """Maps a relative path to an absolute one inside DATA_DIR, refusing any way out."""
    if not isinstance(relative, str) or not relative or "\0" in relative or len(relative) > 1024:
        raise PathError("invalid file name")
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    if not parts or relative.startswith("/") or any(part == ".." for part in parts):
        raise PathError("file names must stay inside /mnt/data")
    current = DATA_DIR
    for index, part in enumerate(parts):
        current = os.path.join(current, part)
        last = index == len(parts) - 1
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            if for_writing and not last:
                os.mkdir(current, 0o755)
                continue
            if for_writing:
                return current
            raise PathError("no such file: %s" % relative) from None
        if stat.S_ISLNK(info.st_mode):
            raise PathError("%s is a symbolic link, which is not followed" % relative)
        if not last and not stat.S_ISDIR(info.st_mode):
            raise PathError("%s is not a directory" % os.path.join(*parts[: index + 1]))
    return current


def handle(message):
    kind = message["type"]
    request_id = message.get("id")
    try:
        if kind == "list_files":
            listed = [describe(path, info) for path, info in walk()]
            yield {"type": "files", "id": request_id, "files": listed, "truncated": len(listed) >= MAX_ENTRIES}
        elif kind == "get_file":
            yield from _get_file(request_id, message)
        elif kind == "put_file":
            yield _put_file(request_id, message)
    except PathError as error:
        yield {"type": "failure", "id": request_id, "code": "bad_path", "message": str(error)}
    except OSError as error:
        yield {"type": "failure", "id": request_id, "code": "io", "message": error.strerror or str(error)}


def _get_file(request_id, message):
    path = resolve(message.get("path"))
    max_bytes = int(message.get("max_bytes", 100 * 1024 * 1024))
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise PathError("%s is not a regular file" % message.get("path"))
        if info.st_size > max_bytes:
            yield {
                "type": "failure",
                "id": request_id,
                "code": "too_large",
                "size": info.st_size,
                "message": "file is %d bytes, over the %d byte limit" % (info.st_size, max_bytes),
            }
            return
        digest = hashlib.sha256()
        size = 0
        while True:
            chunk = handle.read(CHUNK_BYTES)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                yield {"type": "failure", "id": request_id, "code": "too_large", "message": "file grew while read"}
                return
            digest.update(chunk)
            yield {"type": "file_chunk", "id": request_id, "data": base64.b64encode(chunk).decode("ascii")}
        yield {"type": "file_end", "id": request_id, "size": size, "sha256": digest.hexdigest()}


def _put_file(request_id, message):
    path = resolve(message.get("path"), for_writing=True)
    data = base64.b64decode(message.get("data") or "", validate=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW
    flags |= os.O_APPEND if message.get("append") else os.O_TRUNC
    fd = os.open(path, flags, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        size = handle.tell()
    return {"type": "ack", "id": request_id, "size": size}
