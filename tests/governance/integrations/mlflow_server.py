"""A real MLflow tracking server for the registry sync tests: ``mlflow server`` with a SQLite backend on a free
local port, from a virtual environment of its own (MLflow pins its dependencies; the app never imports it).

The environment is created once and cached (``PLUMBLINE_MLFLOW_VENV``, default ``~/.cache/plumbline/mlflow-venv``;
about 850 MB, a minute or two from PyPI the first time). A lock keeps parallel test processes from installing at
the same time; a stamp records which requirement it was built for, so raising the pin rebuilds it.
"""

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

MLFLOW_REQUIREMENT = "mlflow>=3.1,<4"
VENV = Path(os.environ.get("PLUMBLINE_MLFLOW_VENV", Path.home() / ".cache" / "plumbline" / "mlflow-venv"))
STAMP = VENV / ".plumbline-installed"
INSTALL_TIMEOUT = 30 * 60
START_TIMEOUT = 90
# What pip prints when it cannot reach the package index: only then is a missing environment a skip, not a failure.
OFFLINE_MARKERS = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "No matching distribution found for mlflow",
)


class MLflowUnavailable(Exception):
    """No MLflow environment could be created because the package index is out of reach (and none is cached)."""


def _python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    """The cached environment's Python, creating the environment first if it is missing or outdated."""
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV.parent / f".{VENV.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if STAMP.exists() and STAMP.read_text().strip() == MLFLOW_REQUIREMENT and _python().exists():
            return _python()
        shutil.rmtree(VENV, ignore_errors=True)
        log = VENV.parent / f"{VENV.name}-install.log"
        with open(log, "w") as out:
            steps = [
                [sys.executable, "-m", "venv", str(VENV)],
                [
                    str(_python()),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    MLFLOW_REQUIREMENT,
                ],
            ]
            for step in steps:
                result = subprocess.run(step, stdout=out, stderr=subprocess.STDOUT, timeout=INSTALL_TIMEOUT)
                if result.returncode != 0:
                    break
        if result.returncode != 0:
            output = log.read_text(errors="replace")
            shutil.rmtree(VENV, ignore_errors=True)
            if any(marker in output for marker in OFFLINE_MARKERS):
                raise MLflowUnavailable(
                    f"Could not install {MLFLOW_REQUIREMENT} (no network, no cached {VENV}): {output[-500:]}"
                )
            raise RuntimeError(f"Installing {MLFLOW_REQUIREMENT} into {VENV} failed:\n{output[-4000:]}")
        STAMP.write_text(MLFLOW_REQUIREMENT)
        return _python()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MLflowServer:
    """``MLflowServer(workdir).start()``; ``.url`` is its tracking URL, ``.api`` a small REST helper for tests."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log_path = workdir / "mlflow-server.log"
        self.api = MLflowREST(self.url)

    def start(self) -> "MLflowServer":
        python = ensure_venv()
        command = [
            str(python),
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            f"sqlite:///{self.workdir / 'ml.db'}",
            "--default-artifact-root",
            str(self.workdir / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
        ]
        with open(self.log_path, "wb") as log:
            # A session of its own: the server starts uvicorn and a job runner, stopped with it as one group.
            self.process = subprocess.Popen(
                command, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(
            f"The MLflow server did not answer within {START_TIMEOUT} s:\n"
            + self.log_path.read_text(errors="replace")[-4000:]
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # Its job runner's consumers start sessions of their own: found now, they are ended with the server.
        descendants = _descendants(self.process.pid)
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            # A throw-away server: its job runner may take its time to stop, and nothing of it is kept.
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        for pid in descendants:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _descendants(pid: int) -> list[int]:
    """The processes started by ``pid`` and by them, read from /proc (Linux)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            pending += children
    return found


class MLflowREST:
    """What a training pipeline does to a registry, over the REST API (as the ``mlflow`` client would)."""

    def __init__(self, url: str) -> None:
        self.base = f"{url}/api/2.0/mlflow"

    def _call(self, method: str, endpoint: str, **kwargs) -> dict:
        response = requests.request(method, f"{self.base}/{endpoint}", timeout=30, **kwargs)
        assert response.status_code == 200, (endpoint, response.status_code, response.text)
        return response.json() if response.content else {}

    def create_model(self, name: str, description: str = "") -> None:
        self._call("POST", "registered-models/create", json={"name": name, "description": description})

    def create_run(self, metrics: dict[str, float], params: dict[str, str]) -> str:
        run_id = self._call(
            "POST", "runs/create", json={"experiment_id": "0", "start_time": 1_700_000_000_000}
        )["run"]["info"]["run_id"]
        for key, value in metrics.items():
            self._call(
                "POST",
                "runs/log-metric",
                json={
                    "run_id": run_id,
                    "key": key,
                    "value": value,
                    "timestamp": 1_700_000_000_000,
                    "step": 0,
                },
            )
        for key, value in params.items():
            self._call("POST", "runs/log-parameter", json={"run_id": run_id, "key": key, "value": value})
        return run_id

    def create_version(self, name: str, run_id: str, tags: dict[str, str] | None = None) -> str:
        body = {
            "name": name,
            "source": f"runs:/{run_id}/model",
            "run_id": run_id,
            "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()],
        }
        return self._call("POST", "model-versions/create", json=body)["model_version"]["version"]

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self._call("POST", "registered-models/alias", json={"name": name, "alias": alias, "version": version})

    def alias(self, name: str, alias: str) -> str | None:
        response = requests.get(
            f"{self.base}/registered-models/alias", params={"name": name, "alias": alias}, timeout=30
        )
        return response.json()["model_version"]["version"] if response.status_code == 200 else None

    def delete_all_models(self) -> None:
        names = [
            m["name"] for m in self._call("GET", "registered-models/search").get("registered_models", [])
        ]
        for name in names:
            self._call("DELETE", "registered-models/delete", json={"name": name})
