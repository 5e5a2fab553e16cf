"""The processes `make bench` starts and what it reads of them in /proc (scripts/bench_http.py).

`Server` runs a command of ours on a free port of 127.0.0.1 in a session of its own, waits until
it answers `ready_path`, and stops it (SIGTERM, then SIGKILL of that session only). `cpu_ticks`
reads a process's own CPU time (utime + stime, every thread of it) from /proc/<pid>/stat.
"""

import http.client
import os
import signal
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
START_SECONDS_MAX = 60
CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server process of ours on a free port; its output goes to a log file."""

    def __init__(self, name, argv, env, log_dir, ready_path=None, ready_line=None, port=None):
        self.name, self.port = name, port or free_port()
        self.log_path = os.path.join(log_dir, f"{name}.log")
        environment = dict(os.environ, HOST="127.0.0.1", PORT=str(self.port), PYTHONUNBUFFERED="1", **env)
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            argv, cwd=ROOT, env=environment, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + START_SECONDS_MAX
        while not self.ready(ready_path, ready_line):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(
                    f"{name} did not start (exit status {self.process.poll()}); its output:\n{self.tail()}"
                )
            time.sleep(0.1)

    def ready(self, ready_path, ready_line):
        if ready_line:
            with open(self.log_path) as handle:
                return ready_line in handle.read()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            connection.request("GET", ready_path)
            status = connection.getresponse().status
            connection.close()
            return status == 200
        except OSError:
            return False

    def tail(self, lines=80):
        with open(self.log_path) as handle:
            return "".join(handle.readlines()[-lines:])

    def rss_kib(self):
        """VmRSS of the server process plus its children (gunicorn's workers), in KiB."""
        pids = [self.process.pid] + children(self.process.pid)
        return sum(vm_rss_kib(pid) for pid in pids), len(pids)

    def worker_pid(self):
        """gunicorn with one worker: that worker's pid (the master only forks and watches it)."""
        workers = children(self.process.pid)
        if len(workers) != 1:
            raise SystemExit(f"{self.name}: expected one gunicorn worker, found {workers}")
        return workers[0]

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own session: only what we started
                self.process.wait()
        self.log.close()


def children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def cpu_ticks(pid):
    """utime + stime of the process (all its threads), in clock ticks (SC_CLK_TCK a second)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5), counted after the name


def vm_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def machine_busy_seconds():
    """CPU-seconds the whole machine has been busy since boot (all cores)."""
    with open("/proc/stat") as handle:
        fields = [int(value) for value in handle.readline().split()[1:]]
    return (sum(fields[:3]) + sum(fields[5:8])) / CLOCK_TICKS_PER_SECOND  # user nice system irq softirq steal
