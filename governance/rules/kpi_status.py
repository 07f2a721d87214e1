"""Judge a KPI's latest value against its thresholds (pure functions; no database access).

A higher-is-better KPI (AUC, say) is breached at or below a threshold; a lower-is-better one (latency,
error rate) at or above it. The critical threshold is checked before the warning one, so a value past both
is critical. A KPI without a value has no status ("no data"); a threshold that is not set is never breached.
``governance.services.monitoring`` stores the result with the KPI (``latest_status``) whenever its latest value
or its thresholds change; pages read that.
"""

from governance.models.monitoring import BREACH_STATUSES, KPIDefinition, KPIDirection, KPIStatus

OK, WARNING, CRITICAL, NO_DATA = (
    KPIStatus.OK.value,
    KPIStatus.WARNING.value,
    KPIStatus.CRITICAL.value,
    KPIStatus.NO_DATA.value,
)
# The statuses that count as a breach; a KPI moving into one alerts the model owner.
BREACHES: tuple[str, ...] = tuple(status.value for status in BREACH_STATUSES)
# Worse is larger, so "the model's worst KPI" is a plain descending order / maximum. No data has none.
SEVERITY: dict[str, int] = {OK: 0, WARNING: 1, CRITICAL: 2}


def kpi_status(kpi: KPIDefinition, latest_value: float | None) -> str:
    """ok / warning / critical / no data for a value, judged against the KPI's thresholds and direction.

    Only ``direction``, ``warning_threshold`` and ``critical_threshold`` are read, so an unsaved KPI will do.
    """
    if latest_value is None:
        return NO_DATA
    higher = kpi.direction == KPIDirection.HIGHER

    def breached(threshold: float | None) -> bool:
        if threshold is None:
            return False
        return latest_value <= threshold if higher else latest_value >= threshold

    if breached(kpi.critical_threshold):
        return CRITICAL
    if breached(kpi.warning_threshold):
        return WARNING
    return OK
