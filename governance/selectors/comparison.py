"""Champion against challenger for a version of a model: what the promotion pages and the API show.

The rule is ``governance.rules.comparison``; this module finds the current champion and the model's KPI
directions (a metric named like a KPI is judged in the KPI's direction), in at most two queries, or none when the
page already read both.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from governance.models import KPIDefinition, ModelVersion, VersionStatus
from governance.rules.comparison import NOTE, Comparison, compare_metrics


@dataclass(frozen=True)
class VersionComparison:
    """``candidate`` against the model's current ``champion`` (None: there is none, or it is the candidate)."""

    candidate: ModelVersion
    champion: ModelVersion | None
    comparison: Comparison | None
    note: str = NOTE

    def as_json(self) -> dict[str, Any]:
        def version(v: ModelVersion | None) -> dict[str, Any] | None:
            if v is None:
                return None
            return {"id": v.pk, "version": v.version, "status": v.status, "registered_at": v.registered_at}

        return {
            "model": self.candidate.model_id,
            "candidate": version(self.candidate),
            "champion": version(self.champion),
            **(self.comparison.as_json() if self.comparison else {"metrics": []}),
            "kpis_compared": False,
            "note": self.note if self.champion else "There is no other champion to compare with.",
        }


def kpi_directions(kpis: Iterable[KPIDefinition]) -> dict[str, str]:
    return {kpi.name: kpi.direction for kpi in kpis}


def compare_versions(
    candidate: ModelVersion,
    champion: ModelVersion | None,
    kpis: Iterable[KPIDefinition] | dict[str, str],
) -> VersionComparison:
    """The comparison from versions and KPIs already read (no query)."""
    directions = kpis if isinstance(kpis, dict) else kpi_directions(kpis)
    if champion is None or champion.pk == candidate.pk:
        return VersionComparison(candidate=candidate, champion=None, comparison=None)
    return VersionComparison(
        candidate=candidate,
        champion=champion,
        comparison=compare_metrics(champion.metrics, candidate.metrics, directions),
    )


def version_comparison(candidate: ModelVersion) -> VersionComparison:
    """``candidate`` against its model's current champion: two queries (the champion, the KPIs' directions)."""
    champion = (
        ModelVersion.objects.filter(model_id=candidate.model_id, status=VersionStatus.CHAMPION)
        .order_by("-registered_at", "-pk")
        .first()
    )
    directions = dict(
        KPIDefinition.objects.filter(model_id=candidate.model_id).values_list("name", "direction")
    )
    return compare_versions(candidate, champion, directions)


def newest_candidate_comparison(
    versions: Iterable[ModelVersion], kpis: Iterable[KPIDefinition]
) -> VersionComparison | None:
    """The newest candidate against the champion, from the release candidates the model page already read
    (``selectors.inventory.release_candidates``: champion first, then candidates newest first). No query."""
    versions = list(versions)
    champion = next((v for v in versions if v.status == VersionStatus.CHAMPION), None)
    candidate = next((v for v in versions if v.status == VersionStatus.CANDIDATE), None)
    if candidate is None or champion is None:
        return None
    return compare_versions(candidate, champion, kpis)
