"""`plumbline post-kpis` splits a KPI's points into batches the server takes (at most 10,000 a request)."""

import argparse

from governance import cli
from governance.services.monitoring import MAX_POINTS


class RecordingClient:
    """Answers the KPI list and records every batch posted."""

    def __init__(self) -> None:
        self.posted: list[tuple[str, int]] = []

    def model_id(self, name: str) -> int:
        return 7

    def call(self, method: str, path: str, **kwargs):
        if method == "GET":
            return {"results": [{"name": "AUC", "id": 1}, {"name": "Latency", "id": 2}]}
        self.posted.append((path, len(kwargs["json"]["points"])))
        return {"count": len(kwargs["json"]["points"])}


def test_post_kpis_sends_each_kpis_points_in_batches_the_server_accepts(tmp_path, capsys):
    rows = [f"AUC,2026-01-01T00:00:{i % 60:02d}Z,0.9" for i in range(MAX_POINTS + 1)]
    rows += ["Latency,2026-01-01T00:00:00Z,120"]
    measurements = tmp_path / "kpis.csv"
    measurements.write_text("kpi,measured_at,value\n" + "\n".join(rows) + "\n")
    client = RecordingClient()

    status = cli.post_kpis(client, argparse.Namespace(file=str(measurements), model="Scorer"))

    assert status == cli.EXIT_ALLOWED
    assert cli.BATCH_POINTS == MAX_POINTS
    assert client.posted == [
        ("/kpis/1/measurements/", MAX_POINTS),
        ("/kpis/1/measurements/", 1),
        ("/kpis/2/measurements/", 1),
    ]
    assert f"Posted {MAX_POINTS + 2} measurements to 2 KPI(s) of Scorer." in capsys.readouterr().out
