"""scripts/background.sh, the background steps of scripts/test.sh: a failed background step fails
the run with its status and its output, a failed foreground step leaves no background process
behind (the whole tree is stopped), and a run that succeeds prints each step's output."""

import os
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BACKGROUND = os.path.join(REPO, "scripts", "background.sh")


def run_script(body, timeout=60):
    """Runs `body` in bash after sourcing background.sh, as scripts/test.sh does."""
    script = "set -euo pipefail\nstep() { echo \"== $*\"; }\nsource %s\n%s\n" % (BACKGROUND, body)
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=timeout)


def running(marker):
    """The pids of processes whose command line contains `marker`."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as fh:
                if marker.encode() in fh.read():
                    pids.append(int(pid))
        except OSError:
            pass
    return pids


class BackgroundSteps(unittest.TestCase):
    def test_a_successful_background_step_prints_its_output_when_it_is_finished(self):
        r = run_script('job() { echo "from the job"; }\nin_background job "a job" job\necho foreground\nfinish job\necho after')
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "== a job: started in the background, its output follows when it ends")
        self.assertEqual(lines[1], "foreground")
        self.assertEqual(lines[2], "== job (the background step): ended with exit status 0; its output:")
        self.assertEqual(lines[3:], ["from the job", "after"])

    def test_a_failed_background_step_fails_the_run_with_its_status_and_output(self):
        r = run_script('job() { echo "what went wrong"; return 7; }\nin_background job "a job" job\nfinish job\necho "not reached"')
        self.assertEqual(r.returncode, 7)
        self.assertIn("what went wrong", r.stdout)
        self.assertNotIn("not reached", r.stdout)
        self.assertIn("the background step job failed (exit 7)", r.stderr)

    def test_a_failed_foreground_step_stops_the_background_steps_whole_tree(self):
        marker = "bce-background-test-%d" % os.getpid()
        # A child (bash -c, two commands so that it does not exec) with a grandchild (sleep), as
        # swift build runs its compilers; the marker is in the child's command line.
        body = 'job() { bash -c "sleep 300; echo %s" ; }\nin_background job "a job" job\nsleep 1\nfalse' % marker
        r = run_script(body)
        self.assertEqual(r.returncode, 1)
        deadline = time.monotonic() + 5
        while running(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = running(marker)
        for pid in left:
            os.kill(pid, 9)
        self.assertEqual(left, [], "processes left behind")

    def test_the_steps_files_are_removed_on_exit(self):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, TMPDIR=tmp)
            script = "set -euo pipefail\nstep() { :; }\nsource %s\njob() { :; }\nin_background job x job\nfinish job\n" % BACKGROUND
            r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(os.listdir(tmp), [])


if __name__ == "__main__":
    unittest.main()
