"""``plumbline``: the command line a CI/CD pipeline uses to talk to Plumbline, over the public API only.

    plumbline gate --model NAME --version V --env production      exit 0 allowed, 1 denied, 2 error
    plumbline register-version --model NAME --version V [--artifact-uri …] [--code-commit …] [--training-data …]
    plumbline record-deployment --model NAME --version V --env production [--strategy canary] [--status started]
    plumbline record-deployment --id 12 --status succeeded
    plumbline post-kpis FILE.csv --model NAME                       columns: kpi, measured_at, value[, source]
    plumbline post-card CARD.json --model NAME --version V [--merge]  the version's model card (JSON object)

It reads ``PLUMBLINE_URL`` (e.g. https://plumbline.example.com) and ``PLUMBLINE_TOKEN`` (a read-and-write API
token of the model's owner or an admin: the gate records every question it is asked). Errors are one plain line
on stderr and exit status 2, never a traceback.
"""

import argparse
import csv
import json
import os
import sys
from collections import defaultdict
from typing import Any

import requests

EXIT_ALLOWED, EXIT_DENIED, EXIT_ERROR = 0, 1, 2
TIMEOUT_SECONDS = 30
# Points per request: the server's limit for one batch (governance.services.monitoring.MAX_POINTS).
BATCH_POINTS = 10_000


class CLIError(Exception):
    """Something the person running the pipeline must fix; the message says what."""


class Client:
    def __init__(self, url: str, token: str) -> None:
        if not url:
            raise CLIError("Set PLUMBLINE_URL to Plumbline's address, e.g. https://plumbline.example.com")
        if not token:
            raise CLIError("Set PLUMBLINE_TOKEN to an API token (issue one on Your account in Plumbline).")
        self.base = url.rstrip("/") + "/api/v1"
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Token {token}", "Accept": "application/json"})

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.base}{path}"
        try:
            response = self.session.request(method, url, timeout=TIMEOUT_SECONDS, **kwargs)
        except requests.RequestException as exc:
            raise CLIError(f"Cannot reach Plumbline at {self.base}: {exc.__class__.__name__}.") from exc
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        if response.status_code == 401:
            raise CLIError(f"The token was refused: {_detail(body) or 'invalid token'}.")
        if response.status_code == 403:
            raise CLIError(f"Not allowed: {_detail(body) or 'your role may not do this'}.")
        if response.status_code == 404:
            raise CLIError(f"Not found: {method} {path}.")
        if response.status_code >= 500 or (body is None and response.status_code >= 400):
            raise CLIError(
                f"Plumbline answered {response.status_code}; try again later ({_detail(body) or 'no detail'})."
            )
        if response.status_code >= 400:
            raise CLIError(_detail(body) or f"Refused ({response.status_code}).")
        return body

    def model_id(self, name: str) -> int:
        if name.isdigit():
            return int(name)
        found = self.call("GET", "/models/", params={"name": name})
        results = found.get("results", []) if isinstance(found, dict) else []
        if not results:
            raise CLIError(f"No model named {name!r} in your organisations.")
        if len(results) > 1:
            raise CLIError(f"Several of your organisations have a model named {name!r}: pass its id instead.")
        return results[0]["id"]


def _field_messages(errors: dict) -> str:
    parts = []
    for field, messages in errors.items():
        text = "; ".join(str(m) for m in messages) if isinstance(messages, list) else str(messages)
        parts.append(text if field == "non_field_errors" else f"{field}: {text}")
    return "; ".join(parts)


def _detail(body: Any) -> str:
    """A readable line from an API error body (a problem-details object): each field's messages for a
    validation error, ``detail`` otherwise. Bodies of older servers (a field map, a list) read as well."""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, dict) and errors:
            return _field_messages(errors)
        if "detail" in body:
            return str(body["detail"])
        return _field_messages(body)
    if isinstance(body, list):
        return "; ".join(str(item) for item in body)
    return ""


def gate(client: Client, args: argparse.Namespace) -> int:
    answer = client.call(
        "POST",
        "/deployment-checks/",
        json={"model": args.model, "version": args.version, "environment": args.env},
    )
    for check in answer["checks"]:
        mark = "PASS" if check["passed"] else "FAIL"
        print(f"{mark}  {check['name']}: {check['message']}")
    verdict = "ALLOWED" if answer["allowed"] else "DENIED"
    print(
        f"{verdict}: {args.model} {args.version} to {args.env} "
        f"(release policy v{answer['policy_version']}, decision #{answer['decision_id']})"
    )
    return EXIT_ALLOWED if answer["allowed"] else EXIT_DENIED


def register_version(client: Client, args: argparse.Namespace) -> int:
    try:
        metrics = json.loads(args.metrics) if args.metrics else {}
    except ValueError as exc:
        raise CLIError(f"--metrics is not JSON: {exc}.") from exc
    body = {
        "version": args.version,
        "artifact_uri": args.artifact_uri,
        "code_commit": args.code_commit,
        "training_data_ref": args.training_data,
        "metrics": metrics,
        "notes": args.notes,
    }
    created = client.call("POST", f"/models/{client.model_id(args.model)}/versions/", json=body)
    print(f"Registered {args.model} {created['version']} (version #{created['id']}).")
    return EXIT_ALLOWED


def record_deployment(client: Client, args: argparse.Namespace) -> int:
    if args.id:
        if not args.status:
            raise CLIError("--id needs --status (succeeded, failed or rolled_back).")
        updated = client.call("POST", f"/deployments/{args.id}/status/", json={"status": args.status})
        print(f"Deployment #{updated['id']} is {updated['status']}.")
        return EXIT_ALLOWED
    missing = [name for name in ("model", "version", "env") if not getattr(args, name)]
    if missing:
        raise CLIError(f"Give {', '.join('--' + m for m in missing)} (or --id and --status to update one).")
    created = client.call(
        "POST",
        "/deployments/",
        json={
            "model": args.model,
            "version": args.version,
            "environment": args.env,
            "strategy": args.strategy,
            "status": args.status or "started",
            "pipeline_run_url": args.run_url,
        },
    )
    note = " (WITHOUT APPROVAL: not the approved champion)" if created["without_approval"] else ""
    print(
        f"Deployment #{created['id']}: {args.model} {args.version} to {args.env}, {created['status']}{note}."
    )
    return EXIT_ALLOWED


def post_kpis(client: Client, args: argparse.Namespace) -> int:
    try:
        with open(args.file, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise CLIError(f"Cannot read {args.file}: {exc.strerror}.") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CLIError(f"{args.file} is not a UTF-8 CSV file: {exc}.") from exc
    if not rows or not {"kpi", "measured_at", "value"} <= set(rows[0]):
        raise CLIError(
            f"{args.file} needs a header row with kpi, measured_at, value (and optionally source)."
        )
    model_id = client.model_id(args.model)
    kpis = client.call("GET", "/kpis/", params={"model": model_id, "page_size": 1000})
    by_name = {k["name"]: k["id"] for k in kpis.get("results", [])}
    points: dict[int, list[dict]] = defaultdict(list)
    for number, row in enumerate(rows, start=2):
        name = (row.get("kpi") or "").strip()
        if name not in by_name:
            raise CLIError(f"{args.file} line {number}: {args.model} has no KPI {name!r}.")
        try:
            value = float(row["value"])
        except (TypeError, ValueError):
            raise CLIError(f"{args.file} line {number}: value {row['value']!r} is not a number.") from None
        point = {"measured_at": (row.get("measured_at") or "").strip(), "value": value}
        if (row.get("source") or "").strip():
            point["source"] = row["source"].strip()
        points[by_name[name]].append(point)
    total = 0
    for kpi_id, kpi_points in points.items():
        for start in range(0, len(kpi_points), BATCH_POINTS):
            batch = kpi_points[start : start + BATCH_POINTS]
            client.call("POST", f"/kpis/{kpi_id}/measurements/", json={"points": batch})
            total += len(batch)
    print(f"Posted {total} measurements to {len(points)} KPI(s) of {args.model}.")
    return EXIT_ALLOWED


def post_card(client: Client, args: argparse.Namespace) -> int:
    """PUT (or with --merge, PATCH) the version's model card from a JSON object of its sections."""
    try:
        with open(args.file, encoding="utf-8") as handle:
            card = json.load(handle)
    except OSError as exc:
        raise CLIError(f"Cannot read {args.file}: {exc.strerror}.") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise CLIError(f"{args.file} is not a UTF-8 JSON file: {exc}.") from exc
    if not isinstance(card, dict):
        raise CLIError(f'{args.file} must hold one JSON object of card sections, e.g. {{"intended_use": …}}.')
    model_id = client.model_id(args.model)
    path = f"/models/{model_id}/versions/{requests.utils.quote(args.version, safe='')}/card/"
    saved = client.call("PATCH" if args.merge else "PUT", path, json=card)
    filled = sum(1 for key, value in saved.items() if key in card and value)
    print(f"Model card of {args.model} {args.version} saved ({filled} section(s) written).")
    return EXIT_ALLOWED


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="plumbline", description="Plumbline for CI/CD pipelines.")
    commands = main.add_subparsers(dest="command", required=True)

    ask = commands.add_parser(
        "gate", help="May this version be deployed there now? Exit 0 yes, 1 no, 2 error."
    )
    ask.add_argument("--model", required=True, help="The model's exact name or id.")
    ask.add_argument("--version", required=True)
    ask.add_argument("--env", required=True, choices=["test", "staging", "production"])
    ask.set_defaults(run=gate)

    register = commands.add_parser("register-version", help="Register a new version of a model.")
    register.add_argument("--model", required=True)
    register.add_argument("--version", required=True)
    register.add_argument("--artifact-uri", default="")
    register.add_argument("--code-commit", default="")
    register.add_argument("--training-data", default="", help="Where the training data snapshot is.")
    register.add_argument("--metrics", default="", help="JSON, e.g. '{\"auc\": 0.81}'.")
    register.add_argument("--notes", default="")
    register.set_defaults(run=register_version)

    deploy = commands.add_parser("record-deployment", help="Record a deployment, or update how one went.")
    deploy.add_argument("--model")
    deploy.add_argument("--version")
    deploy.add_argument("--env", choices=["test", "staging", "production"])
    deploy.add_argument("--strategy", default="full", choices=["canary", "full"])
    deploy.add_argument("--status", choices=["started", "succeeded", "failed", "rolled_back"])
    deploy.add_argument("--run-url", default="", help="The pipeline run's URL.")
    deploy.add_argument("--id", type=int, help="Update this deployment's --status instead.")
    deploy.set_defaults(run=record_deployment)

    kpis = commands.add_parser("post-kpis", help="Post KPI measurements from a CSV file.")
    kpis.add_argument("file")
    kpis.add_argument("--model", required=True)
    kpis.set_defaults(run=post_kpis)

    card = commands.add_parser("post-card", help="Write a version's model card from a JSON file.")
    card.add_argument("file", help="A JSON object: intended_use, out_of_scope_uses, factors, metrics, …")
    card.add_argument("--model", required=True)
    card.add_argument("--version", required=True)
    card.add_argument("--merge", action="store_true", help="Change only the sections in the file (PATCH).")
    card.set_defaults(run=post_card)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        client = Client(os.environ.get("PLUMBLINE_URL", ""), os.environ.get("PLUMBLINE_TOKEN", ""))
        return args.run(client, args)
    except CLIError as exc:
        print(f"plumbline: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
