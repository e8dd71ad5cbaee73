"""Atomic replacement of the whole golden set (moved verbatim out of scripts/generate_golden.py).

The new set (plus the files of DIR that the generator does not own, such as FORMAT.md and schema/,
copied over) is written and fsynced into a sibling directory .DIR.staging-<pid>-*, which is then
exchanged with DIR in one renameat2(RENAME_EXCHANGE) call; a SIGKILL at any moment leaves DIR
holding either the old set or the new one (see golden/FORMAT.md).
"""

import contextlib
import ctypes
import errno
import json
import os
import shutil
import tempfile

MANIFEST = "MANIFEST.json"


# ---------------------------------------------------------------------------------------------
# Atomic replacement of the whole set


RENAME_EXCHANGE = 2
AT_FDCWD = -100


def _fsync_path(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _exchange(a, b):
    """Atomically swaps two directories (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), a)


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cleanup_stale(out):
    """Removes staging directories left by killed runs; restores DIR from the fallback scheme."""
    parent, base = os.path.split(out)
    for kind in ("staging", "old"):
        prefix = f".{base}.{kind}-"
        for name in sorted(os.listdir(parent)):
            if not name.startswith(prefix):
                continue
            try:
                pid = int(name[len(prefix):].split("-")[0])
            except ValueError:
                continue
            if pid != os.getpid() and _pid_alive(pid):
                continue
            path = os.path.join(parent, name)
            if kind == "old" and not os.path.exists(out):
                os.rename(path, out)  # fallback scheme killed between its two renames: keep the old set
            else:
                shutil.rmtree(path, ignore_errors=True)


def _write_file(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_set(out, files):
    out = os.path.abspath(out)
    parent, base = os.path.split(out)
    os.makedirs(parent, exist_ok=True)
    _cleanup_stale(out)
    staging = tempfile.mkdtemp(prefix=f".{base}.staging-{os.getpid()}-", dir=parent)
    try:
        owned = set(files)
        if os.path.isdir(out):  # carry over what the generator does not own (FORMAT.md, schema/)
            old_owned = set()
            with contextlib.suppress(OSError, ValueError, KeyError):
                with open(os.path.join(out, MANIFEST), "rb") as fh:
                    old_owned = {e["path"] for e in json.load(fh)["files"]}
            for root, _, names in os.walk(out):
                for name in names:
                    src = os.path.join(root, name)
                    rel = os.path.relpath(src, out).replace(os.sep, "/")
                    if rel in owned or rel in old_owned:
                        continue
                    with open(src, "rb") as fh:
                        _write_file(os.path.join(staging, rel), fh.read())
        for rel, data in files.items():
            _write_file(os.path.join(staging, rel), data)
        for root, dirs, _ in os.walk(staging):
            for d in dirs:
                _fsync_path(os.path.join(root, d))
        os.chmod(staging, 0o755)
        _fsync_path(staging)
        if not os.path.exists(out):
            os.rename(staging, out)
        elif _exchange(staging, out):
            _fsync_path(parent)
            shutil.rmtree(staging)  # now holds the old set
        else:  # no RENAME_EXCHANGE: two renames; _cleanup_stale restores the old set if killed between them
            old = tempfile.mkdtemp(prefix=f".{base}.old-{os.getpid()}-", dir=parent)
            os.rmdir(old)
            os.rename(out, old)
            os.rename(staging, out)
            _fsync_path(parent)
            shutil.rmtree(old)
        _fsync_path(parent)
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging, ignore_errors=True)
