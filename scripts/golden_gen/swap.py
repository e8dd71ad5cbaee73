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
import stat
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


class GoldenSwapError(Exception):
    """The golden directory cannot be replaced as asked (not a directory, a special file inside it).

    Raised before the staging directory exists, so nothing is left behind; `bce-conformance
    regenerate` reports it as a usage error (exit 2) without a traceback."""


def _plan_carry_over(out, owned):
    """What of DIR the generator does not own, checked before anything is written: [(rel, kind)]
    with kind "dir", "file" or "link". Files are read later with O_NONBLOCK; a FIFO, device or
    socket is refused here (reading a FIFO would hang)."""
    plan = []
    for root, dirs, names in os.walk(out):
        for name in sorted(dirs + names):
            src = os.path.join(root, name)
            rel = os.path.relpath(src, out).replace(os.sep, "/")
            st = os.lstat(src)
            if stat.S_ISLNK(st.st_mode):
                if name in dirs:
                    dirs.remove(name)  # a link to a directory is carried as a link, not walked
                if rel not in owned:
                    plan.append((rel, "link"))
            elif stat.S_ISDIR(st.st_mode):
                plan.append((rel, "dir"))
            elif stat.S_ISREG(st.st_mode):
                if rel not in owned:
                    plan.append((rel, "file"))
            else:
                raise GoldenSwapError(f"{src}: is not a regular file, directory or symlink "
                                      f"(a FIFO, device or socket); remove it before regenerating")
    return plan


def _read_regular(path):
    """The bytes and mode of a regular file, opened without blocking (a FIFO swapped in since the
    plan was made is refused, not waited on)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise GoldenSwapError(f"{path}: is not a regular file")
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks), stat.S_IMODE(st.st_mode)
    finally:
        os.close(fd)


def _write_file(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_set(out, files):
    """Replaces the golden directory OUT with FILES ({relative path: bytes}) plus what OUT holds
    that the generator does not own (carried over with its mode bits, symlinks as symlinks,
    empty directories too). A symlink OUT stays a symlink: its target directory is what is
    replaced. OUT must be a directory or not exist (GoldenSwapError otherwise, nothing written)."""
    out = os.path.realpath(out)
    parent, base = os.path.split(out)
    if os.path.lexists(out) and not os.path.isdir(out):
        raise GoldenSwapError(f"{out}: exists and is not a directory (give the golden directory, not a file in it)")
    owned = set(files)
    plan = []
    if os.path.isdir(out):  # carry over what the generator does not own (FORMAT.md, schema/)
        old_owned = set()
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError, GoldenSwapError):
            data, _ = _read_regular(os.path.join(out, MANIFEST))
            old_owned = {e["path"] for e in json.loads(data)["files"]}
        plan = _plan_carry_over(out, owned | old_owned)
    os.makedirs(parent, exist_ok=True)
    _cleanup_stale(out)
    staging = tempfile.mkdtemp(prefix=f".{base}.staging-{os.getpid()}-", dir=parent)
    try:
        modes = []
        for rel, kind in plan:
            src, dst = os.path.join(out, rel), os.path.join(staging, rel)
            if kind == "dir":
                os.makedirs(dst, exist_ok=True)
                modes.append((dst, stat.S_IMODE(os.lstat(src).st_mode)))
            elif kind == "link":
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                os.symlink(os.readlink(src), dst)
            else:
                data, mode = _read_regular(src)
                _write_file(dst, data)
                os.chmod(dst, mode)
        for rel, data in files.items():
            _write_file(os.path.join(staging, rel), data)
        for path, mode in reversed(modes):  # deepest first, after their contents are written
            os.chmod(path, mode | stat.S_IWUSR | stat.S_IXUSR)
        for root, dirs, _ in os.walk(staging):
            for d in dirs:
                if not os.path.islink(os.path.join(root, d)):
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
