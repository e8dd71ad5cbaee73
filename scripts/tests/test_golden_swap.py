"""The golden-directory swap (scripts/golden_gen/swap.py) against hostile directories (issue 15,
items 2 and 8): a file given as the directory, a symlinked directory, files it does not own with
executable bits, symlinks and empty directories, and FIFOs. Each test names what used to go wrong."""

import os
import signal
import stat
import sys
import tempfile
import unittest

SCRIPTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, SCRIPTS)

from golden_gen.swap import GoldenSwapError, write_set  # noqa: E402

FILES = {"MANIFEST.json": b'{"files": [{"path": "bce/float16.json"}]}\n', "bce/float16.json": b"{}\n"}


class Timeout:
    """Fails the test instead of hanging (a FIFO read blocks forever)."""

    def __enter__(self):
        signal.signal(signal.SIGALRM, self._fire)
        signal.alarm(10)

    def __exit__(self, *exc):
        signal.alarm(0)

    @staticmethod
    def _fire(*_):
        raise AssertionError("write_set hung for 10 s")


class HostileGoldenDirectory(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name
        self.out = os.path.join(self.root, "golden")
        write_set(self.out, FILES)

    def tearDown(self):
        self.tmp.cleanup()

    def leftovers(self):
        return sorted(n for n in os.listdir(self.root) if ".staging-" in n or ".old-" in n)

    def test_a_file_given_as_the_directory_is_refused_and_left_alone(self):
        # was: MANIFEST.json became a directory, the real one hidden in a staging directory
        manifest = os.path.join(self.out, "MANIFEST.json")
        with self.assertRaises(GoldenSwapError) as raised:
            write_set(manifest, FILES)
        self.assertIn("is not a directory", str(raised.exception))
        self.assertTrue(stat.S_ISREG(os.lstat(manifest).st_mode))
        with open(manifest, "rb") as fh:
            self.assertEqual(fh.read(), FILES["MANIFEST.json"])
        self.assertEqual(self.leftovers(), [])
        self.assertEqual([n for n in os.listdir(self.out) if n.startswith(".")], [])

    def test_a_symlinked_directory_stays_a_link_and_its_target_is_replaced(self):
        # was: "Cannot call rmtree on a symbolic link", the link replaced by a directory
        link = os.path.join(self.root, "link")
        os.symlink(self.out, link)
        new = dict(FILES, **{"bce/float16.json": b'{"new": 1}\n'})
        write_set(link, new)
        self.assertTrue(os.path.islink(link))
        with open(os.path.join(self.out, "bce", "float16.json"), "rb") as fh:
            self.assertEqual(fh.read(), b'{"new": 1}\n')
        self.assertEqual(self.leftovers(), [])

    def test_foreign_files_keep_their_mode_links_and_empty_directories(self):
        # was: executable bits, symlinks and empty directories of files it does not own dropped
        tool = os.path.join(self.out, "tools", "check.sh")
        os.makedirs(os.path.dirname(tool))
        with open(tool, "w") as fh:
            fh.write("#!/bin/sh\n")
        os.chmod(tool, 0o751)
        os.symlink("tools/check.sh", os.path.join(self.out, "check"))
        os.symlink("tools", os.path.join(self.out, "tools-link"))
        os.makedirs(os.path.join(self.out, "empty", "deeper"))
        write_set(self.out, FILES)
        self.assertEqual(stat.S_IMODE(os.stat(tool).st_mode), 0o751)
        self.assertEqual(os.readlink(os.path.join(self.out, "check")), "tools/check.sh")
        self.assertEqual(os.readlink(os.path.join(self.out, "tools-link")), "tools")
        self.assertTrue(os.path.isdir(os.path.join(self.out, "empty", "deeper")))
        self.assertEqual(self.leftovers(), [])

    def test_a_fifo_anywhere_in_the_directory_is_refused_without_hanging(self):
        # was: regenerate hung reading it and left a staging directory
        for where in ("notes.fifo", os.path.join("schema", "x.fifo")):
            path = os.path.join(self.out, where)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.mkfifo(path)
            with Timeout(), self.assertRaises(GoldenSwapError) as raised:
                write_set(self.out, FILES)
            self.assertIn("not a regular file", str(raised.exception))
            self.assertIn(where, str(raised.exception))
            self.assertEqual(self.leftovers(), [])
            os.remove(path)

    def test_a_fifo_as_the_manifest_is_refused_without_hanging(self):
        manifest = os.path.join(self.out, "MANIFEST.json")
        os.remove(manifest)
        os.mkfifo(manifest)
        with Timeout(), self.assertRaises(GoldenSwapError):
            write_set(self.out, FILES)
        self.assertEqual(self.leftovers(), [])


if __name__ == "__main__":
    unittest.main()
