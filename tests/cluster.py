"""A real dask.distributed cluster on 127.0.0.1 for the tests: a `dask scheduler` and
`dask worker` processes (no nanny: a killed worker stays dead), dashboards off."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

DASK = [sys.executable, "-m", "distributed.cli.dask_scheduler"], [sys.executable, "-m", "distributed.cli.dask_worker"]


class Cluster:
    def __init__(self, folder: Path, workers: int = 2):
        from distributed import Client

        self.folder = Path(folder)
        self.file = self.folder / "scheduler.json"
        self.logs = []
        self.scheduler = self._start(
            DASK[0] + ["--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(self.file)], "scheduler")
        deadline = time.monotonic() + 60
        while not self.file.exists():
            if time.monotonic() > deadline or self.scheduler.poll() is not None:
                raise RuntimeError("the dask scheduler did not start:\n" + self.log())
            time.sleep(0.1)
        self.workers: list[subprocess.Popen] = []
        for _ in range(workers):
            self.add_worker()
        self.client = Client(scheduler_file=str(self.file), timeout=60, set_as_default=False)
        self.client.wait_for_workers(workers, timeout=120)
        self.address = self.client.scheduler.address

    def _start(self, cmd, name):
        log = open(self.folder / f"{name}-{len(self.logs)}.log", "wb")
        self.logs.append(log)
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def add_worker(self) -> subprocess.Popen:
        worker = self._start(DASK[1] + [
            "--scheduler-file", str(self.file), "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
            "--no-dashboard", "--memory-limit", "0", "--death-timeout", "60"], "worker")
        self.workers.append(worker)
        return worker

    def worker_pids(self) -> dict[str, int]:
        """Worker address → pid, as the scheduler knows them."""
        return self.client.run(os.getpid)

    def log(self) -> str:
        return "\n".join(Path(f.name).read_text(errors="replace")[-3000:] for f in self.logs)

    def close(self) -> None:
        self.client.close()
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in [*self.workers, self.scheduler]:
            try:
                proc.wait(timeout=3)  # a worker on SIGTERM waits for its scheduler, which is stopping too
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for f in self.logs:
            f.close()
