#!/usr/bin/env python3
"""Measure inferd: request latency over its Unix socket against local mode, and the daemon's memory.

Starts the built inferd on a socket in a temporary folder, over a temporary
repository that links to models of tests/data, and measures:

(a) Per-request latency of the tiny model seq_mlp on its golden inputs
    (tests/data/converter_golden/seq_mlp), p50 and p99 by nearest rank:
    daemon   `inferctl bench seq_mlp -n N -c 1 --input ...`: the wall time of
             each Client::infer() call in the client process, one request at
             a time on one connection, after a warm-up. It covers building
             the request, gRPC over the Unix socket, the daemon's checks,
             queue and computation, and decoding the answer.
    daemon side  the mean queue and compute time per request of the same
             requests, from the daemon's statistics (`inferctl status`).
    local    `inferctl run seq_mlp.tflite --local --repeat N`: the compute
             time of each PreparedModel::execute() in one process (the
             graph's run, inputs already in memory; no IPC).
    The gap between "daemon" and "local" is what going through the daemon
    costs per request.
(b) The daemon's VmRSS (/proc/PID/status): idle with no model loaded; with
    the three reference models (tests/data/models) loaded; the highest value
    sampled every 10 ms while 8 client processes (`inferctl bench MODEL -c 1`,
    models taken in turn) are connected and running inference concurrently;
    after they are gone; and VmHWM, the peak over the daemon's life.

Prints a table, or one JSON object with --json. Every step has a time
limit; the daemon and the clients are stopped on the way out.

Usage: tools/measure_daemon.py [--build-dir build] [--requests 2000]
                               [--client-requests 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = REPO_ROOT / "tests" / "data"
REFERENCE_MODELS = ("face_detection_short_range", "hand_landmark_lite", "selfie_segmentation")
TINY_MODEL = "seq_mlp"
CLIENT_PROCESSES = 8
STEP_TIMEOUT_S = 300
TIME_RE = re.compile(r"time: median ([0-9.]+) ms, min ([0-9.]+) ms, p99 ([0-9.]+) ms over (\d+) runs")


class Failure(Exception):
    pass


def run(cmd: list[str], timeout: float = STEP_TIMEOUT_S) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise Failure(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip() or r.stdout.strip()}")
    return r.stdout


def listening(path: pathlib.Path) -> bool:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        s.close()


def proc_status_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])  # "VmRSS:   12345 kB"
    raise Failure(f"no {field} in /proc/{pid}/status")


def tiny_inputs() -> list[str]:
    golden = DATA / "converter_golden" / TINY_MODEL
    # seq_mlp's inputs, in model order: sequence [1, 24, 6], features [1, 10].
    return ["--input", f"sequence={golden / 'input_0.npy'}", "--input", f"features={golden / 'input_1.npy'}"]


def model_file(name: str) -> pathlib.Path:
    folder = "models" if name in REFERENCE_MODELS else "converter_models"
    return DATA / folder / f"{name}.tflite"


class Inferd:
    def __init__(self, inferd: pathlib.Path, inferctl: pathlib.Path, tmp: pathlib.Path):
        self.inferctl = str(inferctl)
        self.socket = tmp / "inferd.sock"
        repo = tmp / "models"
        repo.mkdir()
        for name in REFERENCE_MODELS + (TINY_MODEL,):
            # copied: the daemon does not follow links in its model directory
            shutil.copyfile(model_file(name), repo / f"{name}.tflite")
        self.log_path = tmp / "inferd.log"
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen([str(inferd), "--socket", str(self.socket), "--model-dir", str(repo),
                                          "--log-level", "warn"], stdout=log, stderr=log)
        end = time.monotonic() + 60
        while not listening(self.socket):
            if self.proc.poll() is not None:
                raise Failure(f"inferd exited {self.proc.returncode}: {self.log_path.read_text().strip()}")
            if time.monotonic() > end:
                raise Failure("inferd did not listen within 60 s")
            time.sleep(0.02)

    def ctl(self, *args: str, timeout: float = STEP_TIMEOUT_S) -> str:
        return run([self.inferctl, "--socket", str(self.socket), *args], timeout)

    def ctl_cmd(self, *args: str) -> list[str]:
        return [self.inferctl, "--socket", str(self.socket), *args]

    def kib(self, field: str = "VmRSS") -> int:
        return proc_status_kib(self.proc.pid, field)

    def stats(self, model: str) -> tuple[int, float, float]:
        """(inferences, mean queue ms, mean compute ms) from `inferctl status MODEL`."""
        for line in self.ctl("status", model).splitlines():
            f = line.split()
            if f and f[0] == model:
                return int(f[3]), float(f[6]), float(f[7])
        raise Failure(f"no statistics line for {model}")

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode


def measure_latency(d: Inferd, inferctl: pathlib.Path, requests: int) -> dict:
    d.ctl("load", TINY_MODEL)
    d.ctl("bench", TINY_MODEL, "-n", "200", "-c", "1", *tiny_inputs())  # warm-up
    n0, q0, c0 = d.stats(TINY_MODEL)
    bench = json.loads(d.ctl("bench", TINY_MODEL, "-n", str(requests), "-c", "1", "--json", *tiny_inputs()))
    if bench["errors"]:
        raise Failure(f"bench: {bench['errors']} errors, first: {bench['first_error']}")
    n1, q1, c1 = d.stats(TINY_MODEL)
    n = n1 - n0
    # Means of just the bench's requests, from the means before and after.
    queue_us = (q1 * n1 - q0 * n0) / n * 1000 if n > 0 else 0.0
    compute_us = (c1 * n1 - c0 * n0) / n * 1000 if n > 0 else 0.0
    d.ctl("unload", TINY_MODEL)

    out = run([str(inferctl), "run", str(model_file(TINY_MODEL)), "--local", "--repeat", str(requests),
               "--output-dir", str(d.socket.parent / "local_out"), *tiny_inputs()])
    m = TIME_RE.search(out)
    if not m:
        raise Failure(f"no timing in inferctl run --local output: {out!r}")
    return {
        "model": TINY_MODEL,
        "requests": requests,
        "daemon_round_trip_us": {"p50": bench["latency_us"]["p50"], "p99": bench["latency_us"]["p99"],
                                 "mean": bench["latency_us"]["mean"]},
        "daemon_side_mean_us": {"queue": round(queue_us, 1), "compute": round(compute_us, 1),
                                "note": "from 3-decimal ms means; about 1 us resolution"},
        "local_compute_us": {"p50": float(m.group(1)) * 1000, "p99": float(m.group(3)) * 1000,
                             "min": float(m.group(2)) * 1000},
    }


def measure_memory(d: Inferd, client_requests: int) -> dict:
    time.sleep(0.3)
    idle = d.kib()
    for name in REFERENCE_MODELS:
        d.ctl("load", name)
    time.sleep(0.3)
    loaded = d.kib()

    clients = []
    peak = loaded
    try:
        for i in range(CLIENT_PROCESSES):
            model = REFERENCE_MODELS[i % len(REFERENCE_MODELS)]
            clients.append(subprocess.Popen(d.ctl_cmd("bench", model, "-n", str(client_requests), "-c", "1", "--json"),
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        end = time.monotonic() + STEP_TIMEOUT_S
        while any(c.poll() is None for c in clients):
            peak = max(peak, d.kib())
            if time.monotonic() > end:
                raise Failure(f"the {CLIENT_PROCESSES} clients did not finish within {STEP_TIMEOUT_S} s")
            time.sleep(0.01)
        served = 0
        for c in clients:
            out, err = c.communicate()
            if c.returncode != 0:
                raise Failure(f"client exited {c.returncode}: {err.strip()}")
            served += json.loads(out)["count"]
    finally:
        for c in clients:
            if c.poll() is None:
                c.kill()
                c.wait()
    time.sleep(0.3)
    return {
        "idle_no_models_kib": idle,
        "three_models_kib": loaded,
        "clients_running_peak_kib": peak,
        "after_clients_kib": d.kib(),
        "vm_hwm_kib": d.kib("VmHWM"),
        "client_processes": CLIENT_PROCESSES,
        "client_requests_served": served,
    }


def print_table(r: dict) -> None:
    lat, mem = r["latency"], r["memory"]
    rt, side, local = lat["daemon_round_trip_us"], lat["daemon_side_mean_us"], lat["local_compute_us"]
    print(f"inferd measurements on {r['cpus']} CPU(s), load average {r['loadavg']}")
    print(f"(a) latency of {lat['model']}, {lat['requests']} requests one at a time (microseconds)")
    print(f"  {'':<58} {'p50':>8} {'p99':>8}")
    print(f"  {'daemon: client round trip over the Unix socket (bench)':<58} {rt['p50']:>8.1f} {rt['p99']:>8.1f}")
    print(f"  {'local: PreparedModel::execute() compute (run --local)':<58} {local['p50']:>8.1f} {local['p99']:>8.1f}")
    print(f"  daemon side, mean per request: queue {side['queue']:.1f}, compute {side['compute']:.1f} "
          "(from its statistics)")
    mib = lambda kib: f"{kib / 1024:8.1f}"  # noqa: E731
    print("(b) daemon memory, VmRSS (MiB)")
    print(f"  {'idle, no model loaded':<58} {mib(mem['idle_no_models_kib'])}")
    print(f"  {'three reference models loaded':<58} {mib(mem['three_models_kib'])}")
    running = f"{mem['client_processes']} client processes running inference (peak sample)"
    print(f"  {running:<58} {mib(mem['clients_running_peak_kib'])}")
    print(f"  {'after the clients finished':<58} {mib(mem['after_clients_kib'])}")
    print(f"  {'VmHWM (peak over the daemon life)':<58} {mib(mem['vm_hwm_kib'])}")
    print(f"  ({mem['client_requests_served']} requests served to the clients)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", type=pathlib.Path, default=REPO_ROOT / "build",
                        help="meson build directory holding daemon/inferd and clients/inferctl (default: build)")
    parser.add_argument("--requests", type=int, default=2000, help="latency requests, daemon and local (default 2000)")
    parser.add_argument("--client-requests", type=int, default=200,
                        help="requests per client process in the memory run (default 200)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)

    inferd = args.build_dir / "daemon" / "inferd"
    inferctl = args.build_dir / "clients" / "inferctl"
    for exe in (inferd, inferctl):
        if not exe.is_file():
            sys.exit(f"error: {exe} not found; build first (ninja -C {args.build_dir})")

    result = {"cpus": os.cpu_count(), "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    with tempfile.TemporaryDirectory(prefix="inferd-measure-") as tmp:
        d = None
        try:
            d = Inferd(inferd, inferctl, pathlib.Path(tmp))
            result["latency"] = measure_latency(d, inferctl, args.requests)
            result["memory"] = measure_memory(d, args.client_requests)
        except (Failure, subprocess.TimeoutExpired) as e:
            log = d.log_path.read_text().strip() if d else ""
            sys.exit(f"error: {e}" + (f"\ninferd log:\n{log}" if log else ""))
        finally:
            if d:
                code = d.stop()
                if code != 0 and "memory" in result:
                    print(f"warning: inferd exited {code} on SIGTERM", file=sys.stderr)

    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
