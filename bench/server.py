"""gunicorn on loopback for the benchmarks that need a real server (the load run, a worker's
memory), a small HTTP client that logs in through the form, and a process's resident memory."""

import gzip
import http.cookiejar
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from lms.config import ROOT

from .measure import csrf_token

GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(url: str, workers: int, *, timeout: int = 300):
    """`workers` sync workers on 127.0.0.1 (a free port) serving the app on database `url`;
    yields (base URL, the master process). Stopped on the way out."""
    port = free_port()
    with tempfile.TemporaryDirectory() as uploads:
        env = {
            **os.environ,
            "LMS_DATABASE_URL": url,
            "LMS_SECRET_KEY": secrets.token_urlsafe(32),
            "LMS_UPLOAD_FOLDER": uploads,
        }
        command = [GUNICORN, "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
        command += ["--timeout", str(timeout), "--log-level", "warning", "wsgi:app"]
        server = subprocess.Popen(command, cwd=ROOT, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_for(base, server)
            yield base, server
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_for(base: str, server: subprocess.Popen) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz within a minute")


def workers_of(server: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (Linux /proc; gone ones count 0)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def rss_mib(pid: int) -> float:
    """Resident memory of a process, MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


class Client:
    """A browser's session over HTTP: cookies, the login form with its CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str, timeout: float = 300) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path, headers={"Accept-Encoding": "gzip"})
        with self.opener.open(request, timeout=timeout) as response:
            body = response.read()
            if response.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            return response.status, body

    def login(self, phone: str, password: str) -> None:
        _, page = self.get("/login")
        data = urllib.parse.urlencode(
            {"phone": phone, "password": password, "csrf_token": csrf_token(page.decode())}
        ).encode()
        with self.opener.open(self.base + "/login", data=data, timeout=60) as response:
            if "/login" in response.url:
                raise SystemExit(f"login failed for {phone}")


def measure_memory(url: str, lead_phone: str, password: str, path: str, counts: list[int]) -> dict:
    """The resident memory of one gunicorn sync worker after logging in, and after rendering
    the page at `path` each of `counts` times in all (e.g. 1, 3, 10)."""
    with gunicorn(url, 1) as (base, server):
        client = Client(base)
        client.login(lead_phone, password)
        client.get("/lead/")
        (worker,) = workers_of(server)
        samples = [{"renders": 0, "rss_mib": round(rss_mib(worker), 1)}]
        done, seconds = 0, []
        for count in sorted(counts):
            while done < count:
                started = time.perf_counter()
                status, _ = client.get(path)
                seconds.append(time.perf_counter() - started)
                if status != 200:
                    raise SystemExit(f"{path} answered {status}")
                done += 1
            samples.append({"renders": done, "rss_mib": round(rss_mib(worker), 1)})
    first_after = samples[1]["rss_mib"] if len(samples) > 1 else samples[0]["rss_mib"]
    return {
        "page": path,
        "worker": "gunicorn, 1 sync worker, 127.0.0.1",
        "samples": samples,
        "growth_after_first_mib": round(samples[-1]["rss_mib"] - first_after, 1),
        "growth_total_mib": round(samples[-1]["rss_mib"] - samples[0]["rss_mib"], 1),
        "render_s": [round(s, 3) for s in seconds],
    }


FLAT_MIB = 10  # what "flat" allows between the first render and the last


def print_memory(result: dict) -> None:
    steps = ", ".join(
        f"{s['rss_mib']:.0f} MiB" + (f" after {s['renders']}" if s["renders"] else " logged in")
        for s in result["samples"]
    )
    growth = result["growth_after_first_mib"]
    verdict = "ok" if growth <= FLAT_MIB else "OVER"
    print(
        f"\nworker memory ({result['worker']}), programme dashboard: {steps}; "
        f"growth after the first render {growth:+.1f} MiB (budget: flat, ≤ {FLAT_MIB} MiB) "
        f"{verdict}"
    )
