"""A small client of an MLflow tracking server's REST API 2.0: what the registry sync reads and the one thing it
writes (the champion alias).

Only ``requests``: the ``mlflow`` package is large and pins its own dependencies, and the registry's REST API is
stable and documented (mlflow/protos/model_registry.proto, service.proto). Every failure — unreachable server,
timeout, an HTTP error, an answer that is not JSON — is a ``RegistryError`` whose message says what went wrong
in words an administrator can act on, and never contains the token.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

API = "/api/2.0/mlflow"
# Connecting should be quick (a registry is on the organisation's network); a big search page may take longer.
TIMEOUT = (5.0, 30.0)
# registered-models/search accepts at most 1,000 per page; model versions are fetched per model.
MODELS_PAGE = 200
VERSIONS_PAGE = 500
# A runaway pagination (a server that keeps answering the same token) stops here instead of looping forever.
MAX_PAGES = 1000
USER_AGENT = "Plumbline-Registry-Sync/1"


class RegistryError(Exception):
    """The registry could not be reached or refused the request; ``str()`` is fit for a page and a log."""

    def __init__(self, message: str, *, error_code: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.status = status


class RegistryNotFound(RegistryError):
    """The registry answered that the named resource (run, model, alias) does not exist."""


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    description: str = ""
    # alias -> version number, as the registry reports them on the registered model.
    aliases: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: str
    source: str = ""
    run_id: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    status: str = ""


@dataclass(frozen=True)
class Run:
    run_id: str
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


def _pairs(items: Any, key: str = "key", value: str = "value") -> dict[str, str]:
    if not isinstance(items, list):
        return {}
    return {
        str(item[key]): str(item.get(value, "")) for item in items if isinstance(item, dict) and key in item
    }


def _timestamp(milliseconds: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(milliseconds) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _quoted(name: str) -> str:
    """``name`` as a string literal of MLflow's search filter grammar (which has no escape character)."""
    if "'" not in name:
        return f"'{name}'"
    if '"' not in name:
        return f'"{name}"'
    raise RegistryError(
        f"The registered model name {name!r} holds both quote characters; it cannot be searched."
    )


class MLflowClient:
    """One tracking server: ``MLflowClient("https://mlflow.example.com", token="...")``."""

    def __init__(self, tracking_url: str, *, token: str = "", timeout: tuple[float, float] = TIMEOUT) -> None:
        self.base = tracking_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        if token:
            # Databricks and MLflow's basic-auth app both accept a bearer token; it is never logged or raised.
            self.session.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "MLflowClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- The transport --------------------------------------------------------------------------------------

    def _call(
        self, method: str, endpoint: str, *, params: dict | None = None, body: dict | None = None
    ) -> dict[str, Any]:
        url = f"{self.base}{API}/{endpoint}"
        try:
            response = self.session.request(method, url, params=params, json=body, timeout=self.timeout)
        except requests.Timeout:
            raise RegistryError(f"The MLflow server at {self.base} did not answer in time.") from None
        except requests.ConnectionError:
            raise RegistryError(f"Could not connect to the MLflow server at {self.base}.") from None
        except requests.RequestException as exc:
            raise RegistryError(f"The request to the MLflow server failed: {type(exc).__name__}.") from None
        try:
            data = response.json() if response.content else {}
        except ValueError:
            data = None
        if response.status_code >= 400:
            raise self._error(response.status_code, data)
        if not isinstance(data, dict):
            raise RegistryError(
                f"The server at {self.base} did not answer {endpoint} with JSON: is this an MLflow tracking URL?",
                status=response.status_code,
            )
        return data

    def _error(self, status: int, data: Any) -> RegistryError:
        code = str(data.get("error_code", "")) if isinstance(data, dict) else ""
        message = str(data.get("message", ""))[:300] if isinstance(data, dict) else ""
        if status in (401, 403):
            return RegistryError(
                f"The MLflow server refused the request (HTTP {status}): check the access token.",
                error_code=code,
                status=status,
            )
        text = f"The MLflow server answered HTTP {status}" + (f" {code}: {message}" if code else ".")
        if code == "RESOURCE_DOES_NOT_EXIST" or (status == 404 and not code):
            return RegistryNotFound(text, error_code=code, status=status)
        return RegistryError(text, error_code=code, status=status)

    def _pages(self, endpoint: str, key: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        token = None
        for _ in range(MAX_PAGES):
            page = self._call("GET", endpoint, params={**params, **({"page_token": token} if token else {})})
            items = page.get(key) or []
            if not isinstance(items, list):
                raise RegistryError(f"The MLflow server's {endpoint} answer has no list of {key}.")
            yield from (item for item in items if isinstance(item, dict))
            token = page.get("next_page_token")
            if not token:
                return
        raise RegistryError(f"The MLflow server's {endpoint} kept paging past {MAX_PAGES} pages.")

    # --- Reads ----------------------------------------------------------------------------------------------

    def search_registered_models(self) -> Iterator[RegisteredModel]:
        """Every registered model, by name, with its aliases (alias -> version) and tags."""
        for item in self._pages(
            "registered-models/search", "registered_models", {"max_results": MODELS_PAGE}
        ):
            if not item.get("name"):
                continue
            yield RegisteredModel(
                name=str(item["name"]),
                description=str(item.get("description") or ""),
                aliases=_pairs(item.get("aliases"), "alias", "version"),
                tags=_pairs(item.get("tags")),
            )

    def search_model_versions(self, name: str) -> Iterator[ModelVersion]:
        """Every version of the registered model ``name`` (the search answers newest first)."""
        for item in self._pages(
            "model-versions/search",
            "model_versions",
            {"filter": f"name={_quoted(name)}", "max_results": VERSIONS_PAGE},
        ):
            if item.get("name") != name or not item.get("version"):
                continue  # a server that ignores the filter must not mix models up
            yield ModelVersion(
                name=name,
                version=str(item["version"]),
                source=str(item.get("source") or ""),
                run_id=str(item.get("run_id") or ""),
                tags=_pairs(item.get("tags")),
                created_at=_timestamp(item.get("creation_timestamp")),
                status=str(item.get("status") or ""),
            )

    def get_run(self, run_id: str) -> Run:
        """A run's latest metrics (numbers) and its parameters (text)."""
        data = self._call("GET", "runs/get", params={"run_id": run_id}).get("run") or {}
        run_data = (data.get("data") or {}) if isinstance(data, dict) else {}
        metrics: dict[str, float] = {}
        for item in run_data.get("metrics") or []:
            if isinstance(item, dict) and "key" in item:
                try:
                    metrics[str(item["key"])] = float(item.get("value"))
                except (TypeError, ValueError):
                    continue
        return Run(run_id=run_id, metrics=metrics, params=_pairs(run_data.get("params")))

    def get_version_by_alias(self, name: str, alias: str) -> str | None:
        """The version number ``alias`` points to, or None when the model has no such alias."""
        try:
            data = self._call("GET", "registered-models/alias", params={"name": name, "alias": alias})
        except RegistryError as exc:
            # MLflow answers a missing alias with INVALID_PARAMETER_VALUE "... alias X not found", not a 404.
            if isinstance(exc, RegistryNotFound) or "not found" in str(exc):
                return None
            raise
        version = (data.get("model_version") or {}).get("version")
        return str(version) if version else None

    # --- Writes ---------------------------------------------------------------------------------------------

    def set_alias(self, name: str, alias: str, version: str) -> None:
        """Point ``alias`` of the registered model at ``version`` (moving it from any other version)."""
        self._call(
            "POST", "registered-models/alias", body={"name": name, "alias": alias, "version": str(version)}
        )

    def delete_alias(self, name: str, alias: str) -> None:
        # The server reads a DELETE's arguments from a JSON body, not from the query string.
        self._call("DELETE", "registered-models/alias", body={"name": name, "alias": alias})
