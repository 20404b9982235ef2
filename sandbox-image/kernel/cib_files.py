"""/mnt/data for the supervisor: listing, change detection, and file transfer with the bot.

Everything here runs with the sandbox user's file identity (see cib_identity.FileIdentity)
and walks paths one directory descriptor at a time with O_NOFOLLOW, so a link or a swapped
directory that user code planted never leads outside /mnt/data. Only regular files are
listed or transferred; a named pipe, socket or link is skipped and named, and every open
is non-blocking, so no file can make the supervisor wait. Walks are bounded in entries and
time, so an inode flood costs a bounded amount of the supervisor's attention.
"""

import base64
import errno
import hashlib
import mimetypes
import os
import shutil
import stat
import time

DATA_DIR = os.environ.get("CIB_DATA_DIR", "/mnt/data")
MAX_LISTED_FILES = 5000
MAX_SCANNED_ENTRIES = 20000
MAX_REPORTED_CHANGES = 100
MAX_REPORTED_SKIPS = 10
MAX_DEPTH = 12
WALK_SECONDS = 2.0
TRANSFER_SECONDS = 30.0
CHUNK_BYTES = 768 * 1024
REQUEST_TYPES = {"list_files", "get_file", "put_file"}
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC

mimetypes.add_type("text/csv", ".csv")
mimetypes.add_type("text/markdown", ".md")
mimetypes.add_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")
# Files a data analysis makes that Python's table does not know (IANA's names where there are).
mimetypes.add_type("application/vnd.apache.parquet", ".parquet")
mimetypes.add_type("application/vnd.apache.arrow.file", ".feather")
mimetypes.add_type("application/x-ipynb+json", ".ipynb")
mimetypes.add_type("application/jsonl", ".jsonl")
mimetypes.add_type("application/yaml", ".yaml")
mimetypes.add_type("application/yaml", ".yml")
mimetypes.add_type("application/x-hdf5", ".hdf5")

# A compressed file is the compression's type: data.csv.gz is not text to be previewed.
_COMPRESSED = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "br": "application/x-brotli",
    "compress": "application/x-compress",
}


def mime_type(path):
    guessed, encoding = mimetypes.guess_type(path)
    if encoding:
        return _COMPRESSED.get(encoding, "application/octet-stream")
    return guessed or "application/octet-stream"


def kind_of(mode):
    """What a non-regular entry is, in the words the user reads."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


class PathError(ValueError):
    pass


class Listing:
    """One bounded walk of /mnt/data: regular files, and what was skipped."""

    def __init__(self):
        self.files = {}  # relative path -> lstat result
        self.specials = {}  # relative path -> (kind, inode)
        self.truncated = False


class Changes:
    """What a run did to /mnt/data, bounded for the result message."""

    def __init__(self, changed, more, skipped, removed, more_removed):
        self.changed = changed
        self.more = more
        self.skipped = skipped
        self.removed = removed
        self.more_removed = more_removed


def describe(path, info):
    return {"path": path, "size": info.st_size, "mtime_ms": info.st_mtime_ns // 1_000_000, "mime": mime_type(path)}


def _signature(info):
    return (info.st_size, info.st_mtime_ns, info.st_ino)


class DataFolder:
    def __init__(self, identity):
        self._identity = identity

    def prepare(self):
        with self._identity.files():
            os.makedirs(DATA_DIR, exist_ok=True)

    # --- listing -----------------------------------------------------------
    def walk(self):
        listing = Listing()
        deadline = time.monotonic() + WALK_SECONDS
        scanned = 0
        with self._identity.files():
            try:
                root = os.open(DATA_DIR, DIR_FLAGS)
            except OSError:
                return listing
            stack = [(root, "", 0)]
            try:
                while stack:
                    fd, relative_dir, depth = stack.pop()
                    try:
                        entries = []
                        with os.scandir(fd) as iterator:
                            for entry in iterator:
                                scanned += 1
                                if scanned > MAX_SCANNED_ENTRIES or time.monotonic() > deadline:
                                    listing.truncated = True
                                    break
                                entries.append(entry)
                        for entry in sorted(entries, key=lambda e: e.name):
                            self._visit(listing, stack, fd, relative_dir, depth, entry)
                    finally:
                        os.close(fd)
                    if listing.truncated:
                        break
            finally:
                for fd, _relative, _depth in stack:
                    os.close(fd)
        return listing

    def _visit(self, listing, stack, parent_fd, relative_dir, depth, entry):
        relative = relative_dir + "/" + entry.name if relative_dir else entry.name
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            return
        if stat.S_ISDIR(info.st_mode):
            if depth < MAX_DEPTH and not entry.name.startswith("."):
                try:
                    stack.append((os.open(entry.name, DIR_FLAGS, dir_fd=parent_fd), relative, depth + 1))
                except OSError:
                    pass
        elif stat.S_ISREG(info.st_mode):
            if len(listing.files) >= MAX_LISTED_FILES:
                listing.truncated = True
            else:
                listing.files[relative] = info
        elif not entry.name.startswith("."):
            listing.specials[relative] = (kind_of(info.st_mode), info.st_ino)

    def snapshot(self):
        listing = self.walk()
        return {path: _signature(info) for path, info in listing.files.items()}, dict(listing.specials)

    def changed_since(self, before):
        """Files created or modified since `before`, newest last; how many more; what was skipped;
        and the files that were there before and are gone (so a kept copy can drop them too)."""
        files_before, specials_before = before
        listing = self.walk()
        # A truncated walk cannot tell a removed file from one it did not reach.
        removed = [] if listing.truncated else sorted(path for path in files_before if path not in listing.files)
        changed = [describe(path, info) for path, info in listing.files.items() if files_before.get(path) != _signature(info)]
        changed.sort(key=lambda item: (item["mtime_ms"], item["path"]))
        skipped = [
            "%s (%s)" % (path, kind)
            for path, (kind, inode) in sorted(listing.specials.items())
            if specials_before.get(path) != (kind, inode)
        ]
        return Changes(
            changed[:MAX_REPORTED_CHANGES],
            max(len(changed) - MAX_REPORTED_CHANGES, 0),
            skipped[:MAX_REPORTED_SKIPS],
            removed[:MAX_REPORTED_CHANGES],
            max(len(removed) - MAX_REPORTED_CHANGES, 0),
        )

    def space_report(self):
        """Says which limit of /mnt/data is used up, if one is: the user should hear why writes fail."""
        try:
            with self._identity.files():
                info = os.statvfs(DATA_DIR)
        except OSError:
            return None
        files_full = info.f_files > 0 and info.f_ffree == 0
        bytes_full = info.f_blocks > 0 and info.f_bavail * info.f_frsize < CHUNK_BYTES
        if not (files_full or bytes_full):
            return None
        return {
            "files_full": files_full,
            "bytes_full": bytes_full,
            "max_files": info.f_files,
            "max_bytes": info.f_blocks * info.f_frsize,
        }

    def clear(self):
        with self._identity.files():
            for entry in os.scandir(DATA_DIR):
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    try:
                        os.unlink(entry.path)
                    except OSError:
                        pass

    # --- requests from the bot ---------------------------------------------
    def handle(self, message):
        kind = message["type"]
        request_id = message.get("id")
        try:
            with self._identity.files():
                if kind == "list_files":
                    listing = self.walk()
                    listed = [describe(path, info) for path, info in sorted(listing.files.items())]
                    yield {"type": "files", "id": request_id, "files": listed, "truncated": listing.truncated}
                elif kind == "get_file":
                    yield from self._get_file(request_id, message)
                elif kind == "put_file":
                    yield self._put_file(request_id, message)
        except PathError as error:
            yield {"type": "failure", "id": request_id, "code": "bad_path", "message": str(error)}
        except OSError as error:
            yield {"type": "failure", "id": request_id, "code": "io", "message": error.strerror or str(error)}

    def _get_file(self, request_id, message):
        name = message.get("path")
        max_bytes = int(message.get("max_bytes", 100 * 1024 * 1024))
        fd = open_in_data(name, os.O_RDONLY | os.O_NONBLOCK)
        deadline = time.monotonic() + TRANSFER_SECONDS
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
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
                if time.monotonic() > deadline:
                    raise PathError("%s could not be read within %d s" % (name, TRANSFER_SECONDS))
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

    def _put_file(self, request_id, message):
        data = base64.b64decode(message.get("data") or "", validate=True)
        fd = open_in_data(message.get("path"), os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK, create_dirs=True)
        with os.fdopen(fd, "wb") as handle:
            if message.get("append"):
                handle.seek(0, os.SEEK_END)
            else:
                handle.truncate(0)
            handle.write(data)
            size = handle.tell()
        return {"type": "ack", "id": request_id, "size": size}


def _split(relative):
    if not isinstance(relative, str) or not relative or "\0" in relative or len(relative) > 1024:
        raise PathError("invalid file name")
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    if not parts or relative.startswith("/") or any(part == ".." for part in parts):
        raise PathError("file names must stay inside /mnt/data")
    return parts


def open_in_data(relative, flags, create_dirs=False):
    """Opens a regular file below /mnt/data, one directory at a time, never through a link.

    Returns the descriptor; refuses anything that is not a regular file, naming what it is.
    """
    parts = _split(relative)
    directory = os.open(DATA_DIR, DIR_FLAGS)
    try:
        for index, part in enumerate(parts[:-1]):
            try:
                child = os.open(part, DIR_FLAGS, dir_fd=directory)
            except FileNotFoundError:
                if not create_dirs:
                    raise PathError("no such file: %s" % relative) from None
                os.mkdir(part, 0o755, dir_fd=directory)
                child = os.open(part, DIR_FLAGS, dir_fd=directory)
            except OSError as error:
                if error.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise PathError("%s is not a directory" % "/".join(parts[: index + 1])) from None
                raise
            os.close(directory)
            directory = child
        try:
            fd = os.open(parts[-1], flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=directory)
        except FileNotFoundError:
            raise PathError("no such file: %s" % relative) from None
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.ENXIO, errno.EISDIR, errno.ENODEV):
                described = _describe_entry(parts[-1], directory)
                raise PathError("%s is %s; only regular files are transferred" % (relative, described)) from None
            raise
    finally:
        os.close(directory)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise PathError("%s is %s; only regular files are transferred" % (relative, kind_of(info.st_mode)))
    return fd


def _describe_entry(name, directory):
    try:
        return kind_of(os.lstat(name, dir_fd=directory).st_mode)
    except OSError:
        return "not a regular file"
