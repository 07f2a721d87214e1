"""Each KPI's freshness and trend (``stale_after``, ``trend_status``, ``trend_evidence``, ``trend_checked_at``),
and the beat check that announces stale and degrading KPIs to webhooks.

The rules are ``governance.rules.drift``. ``governance.services.monitoring`` calls the ``derive_*`` functions
under the KPI's row lock, with the latest state, so the derived fields change together in the same UPDATE:

- after a batch of measurements (``derive_after_batch``) the detector judges the last ``window`` measurements.
  The window is read in one bounded query, except when it is known without reading: a KPI measured for the
  first time, a batch holding a whole window of new points (a pipeline's back-fill reads nothing back), or late
  points all older than a full window (nothing changes);
- after an edit (``derive_after_edit``): a new cadence moves ``stale_after``; a new direction judges the window
  again (read only then);
- ``derive_many`` rebuilds both from the stored measurements of many KPIs (``refresh_latest_state``), the
  windows of a chunk read in one query.

``trend_evidence`` also keeps two notes across checks: ``degrading_since`` (when the current degrading episode
began) and ``announced`` (which stale and degrading episodes were sent to webhooks), so each is announced once.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from governance.models import KPIDefinition, KPIMeasurement, LifecycleStage
from governance.rules.drift import DEFAULT_PARAMS, DEGRADING, DriftParams, detect, stale_after_for
from governance.services.webhooks import emit_event

TREND_FIELDS = ("stale_after", "trend_status", "trend_evidence", "trend_checked_at")
# Keys of trend_evidence that are bookkeeping, carried from one check to the next.
CARRIED = ("announced",)
# A stale KPI is announced by the beat run after its stale_after passes; a beat down longer than this misses it.
ANNOUNCE_LOOKBACK = timedelta(days=7)
MAX_CADENCE_HOURS = 24 * 366 * 2  # two years: past that, a KPI is not being monitored

STALE_EVENT = "kpi.stale"
DEGRADING_EVENT = "kpi.degrading"

Point = tuple[datetime, float]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def read_window(kpi_id: int, params: DriftParams = DEFAULT_PARAMS) -> list[Point]:
    """The KPI's last ``params.window`` measurements, oldest first (one query on the KPI's time index)."""
    newest_first = (
        KPIMeasurement.objects.filter(kpi_id=kpi_id)
        .order_by("-measured_at", "-pk")
        .values_list("measured_at", "value")[: params.window]
    )
    return list(reversed(newest_first))


def read_windows(kpi_ids: Sequence[int], params: DriftParams = DEFAULT_PARAMS) -> dict[int, list[Point]]:
    """The last ``params.window`` measurements of each KPI, oldest first, in one query (a window function)."""
    if not kpi_ids:
        return {}
    ranked = (
        KPIMeasurement.objects.filter(kpi_id__in=kpi_ids)
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("kpi_id")], order_by=[F("measured_at").desc(), F("pk").desc()]
            )
        )
        .filter(rank__lte=params.window)
        .values_list("kpi_id", "rank", "measured_at", "value")
    )
    windows: dict[int, list[tuple[int, datetime, float]]] = defaultdict(list)
    for kpi_id, rank, measured_at, value in ranked:
        windows[kpi_id].append((rank, measured_at, value))
    return {
        kpi_id: [(at, value) for _, at, value in sorted(rows, key=lambda row: -row[0])]
        for kpi_id, rows in windows.items()
    }


def _judge(kpi: KPIDefinition, window: Sequence[Point], now: datetime, params: DriftParams) -> None:
    """Run the detector on ``window`` and keep its result, the notes carried over, and when it changed."""
    result = detect([value for _, value in window], kpi.direction, params, [_iso(at) for at, _ in window])
    previous = kpi.trend_evidence if isinstance(kpi.trend_evidence, dict) else {}
    evidence = dict(result.evidence)
    if result.status == DEGRADING:
        # One episode lasts while the KPI stays degrading, however many checks find it so.
        continuing = kpi.trend_status == DEGRADING and previous.get("degrading_since")
        evidence["degrading_since"] = previous["degrading_since"] if continuing else _iso(now)
    for key in CARRIED:
        if key in previous:
            evidence[key] = previous[key]
    if (result.status, evidence) != (kpi.trend_status, previous):
        kpi.trend_status, kpi.trend_evidence, kpi.trend_checked_at = result.status, evidence, now


def _set_stale_after(kpi: KPIDefinition) -> None:
    kpi.stale_after = stale_after_for(kpi.latest_measured_at, kpi.created_at, kpi.expected_cadence_hours)


def _window_unchanged(kpi: KPIDefinition, batch: Sequence[KPIMeasurement], params: DriftParams) -> bool:
    """True when every point of ``batch`` is older than a full window the KPI was last judged on."""
    evidence = kpi.trend_evidence if isinstance(kpi.trend_evidence, dict) else {}
    start = parse_datetime(evidence.get("from") or "") if isinstance(evidence.get("from"), str) else None
    full = evidence.get("window") == params.window and evidence.get("window_size") == params.window
    # Of equal times the later stored row is the newer, so a point as old as the window's first enters it.
    return bool(full and start is not None and all(m.measured_at < start for m in batch))


def derive_after_batch(
    kpi: KPIDefinition,
    batch: Sequence[KPIMeasurement],
    previous_latest_at: datetime | None,
    now: datetime | None = None,
    params: DriftParams = DEFAULT_PARAMS,
) -> None:
    """Set the locked KPI's freshness and trend after ``batch`` was stored (its latest state already advanced).

    ``previous_latest_at`` is the KPI's latest measurement before the batch (None: it had none). The batch's rows
    were stored under the KPI's lock after every stored row, so they are the newest of equal times.
    """
    now = now or timezone.now()
    _set_stale_after(kpi)
    in_order = sorted(batch, key=lambda m: m.measured_at)  # stable: the batch's order breaks ties, as pk does
    newer = (
        in_order
        if previous_latest_at is None
        else [m for m in in_order if m.measured_at >= previous_latest_at]
    )
    if previous_latest_at is None or len(newer) >= params.window:
        window: list[Point] = [(m.measured_at, m.value) for m in newer[-params.window :]]
    elif _window_unchanged(kpi, batch, params):
        return
    else:
        window = read_window(kpi.pk, params)
    _judge(kpi, window, now, params)


def derive_after_edit(
    kpi: KPIDefinition, now: datetime | None = None, params: DriftParams = DEFAULT_PARAMS
) -> None:
    """Set the locked KPI's freshness and trend after its definition changed (cadence, direction)."""
    now = now or timezone.now()
    _set_stale_after(kpi)
    evidence = kpi.trend_evidence if isinstance(kpi.trend_evidence, dict) else {}
    judged_as = (evidence.get("direction"), evidence.get("window_size"))
    if kpi.latest_measured_at is None and not evidence:
        return  # never measured, never judged: nothing to judge
    if judged_as != (kpi.direction, params.window):
        _judge(kpi, read_window(kpi.pk, params) if kpi.latest_measured_at else [], now, params)


def derive_many(
    kpis: Iterable[KPIDefinition], now: datetime | None = None, params: DriftParams = DEFAULT_PARAMS
) -> None:
    """Set freshness and trend of many KPIs (latest state already current) from their stored measurements."""
    now = now or timezone.now()
    kpis = list(kpis)
    windows = read_windows([kpi.pk for kpi in kpis], params)
    for kpi in kpis:
        _set_stale_after(kpi)
        _judge(kpi, windows.get(kpi.pk, []), now, params)


# --- Webhooks ------------------------------------------------------------------------------------------------


def _link(name: str, pk: int) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=[pk])


def _payload(kpi: KPIDefinition) -> dict[str, Any]:
    """The KPI and its model, shaped as the other ``kpi.*`` events shape them (governance.services.webhooks)."""
    model = kpi.model
    return {
        "kpi": {
            "id": kpi.pk,
            "name": kpi.name,
            "unit": kpi.unit,
            "direction": kpi.direction,
            "target": kpi.target,
            "warning_threshold": kpi.warning_threshold,
            "critical_threshold": kpi.critical_threshold,
            "url": _link("governance:kpi-detail", kpi.pk),
        },
        "model": {
            "id": model.pk,
            "name": model.name,
            "lifecycle_stage": model.lifecycle_stage,
            "risk_tier": model.risk_tier,
            "url": _link("governance:model-detail", model.pk),
        },
        "latest_value": kpi.latest_value,
        "latest_measured_at": _iso(kpi.latest_measured_at) if kpi.latest_measured_at else None,
        "latest_status": kpi.latest_status,
    }


def stale_payload(kpi: KPIDefinition) -> dict[str, Any]:
    return {
        **_payload(kpi),
        "expected_cadence_hours": kpi.expected_cadence_hours,
        "stale_after": _iso(kpi.stale_after) if kpi.stale_after else None,
    }


def degrading_payload(kpi: KPIDefinition) -> dict[str, Any]:
    evidence = kpi.trend_evidence or {}
    shown = (
        "method",
        "window",
        "baseline_points",
        "baseline_mean",
        "baseline_sd",
        "recent_mean",
        "change",
        "change_in_sd",
        "statistic",
        "threshold",
        "from",
        "to",
        "alarm_at",
        "change_from",
        "degrading_since",
    )
    return {**_payload(kpi), "evidence": {key: evidence.get(key) for key in shown}}


def _announce(
    kpi_id: int,
    kind: str,
    episode_of: Callable[[KPIDefinition, datetime], str | None],
    payload_of: Callable[[KPIDefinition], dict[str, Any]],
    event: str,
    now: datetime,
) -> bool:
    """Under the KPI's row lock: emit ``event`` unless this episode was announced, and note it. True if sent."""
    with transaction.atomic():
        kpi = (
            KPIDefinition.objects.select_for_update(of=("self",))
            .select_related("model__organisation")
            .filter(pk=kpi_id)
            .first()
        )
        if kpi is None:  # deleted since it was listed
            return False
        episode = episode_of(kpi, now)
        evidence = dict(kpi.trend_evidence or {})
        announced = dict(evidence.get("announced") or {})
        if episode is None or announced.get(kind) == episode:
            return False
        # In this transaction: the deliveries are stored with the note, and sent once it commits.
        emit_event(organisation=kpi.model.organisation, event=event, payload=payload_of(kpi))
        announced[kind] = episode
        evidence["announced"] = announced
        kpi.trend_evidence = evidence
        kpi.save(update_fields=["trend_evidence"])
    return True


def _stale_episode(kpi: KPIDefinition, now: datetime) -> str | None:
    if (
        kpi.stale_after is None
        or kpi.stale_after >= now
        or kpi.model.lifecycle_stage == LifecycleStage.RETIRED
    ):
        return None
    return _iso(kpi.stale_after)  # a new measurement moves stale_after: a new episode


def _degrading_episode(kpi: KPIDefinition, now: datetime) -> str | None:
    if kpi.trend_status != DEGRADING or kpi.model.lifecycle_stage == LifecycleStage.RETIRED:
        return None
    return (kpi.trend_evidence or {}).get("degrading_since") or ""


def check_kpi_freshness(now: datetime | None = None) -> dict[str, int]:
    """Beat: send ``kpi.stale`` for KPIs whose cadence passed and ``kpi.degrading`` for KPIs that turned
    degrading, once per episode each. Returns how many episodes of each were announced.

    Stale candidates are the KPIs whose ``stale_after`` passed within ``ANNOUNCE_LOOKBACK`` (the partial index
    on ``stale_after``); degrading ones are few. Each is re-read under its row lock, so concurrent runs and
    ingests take turns and an episode is announced once (also when no endpoint subscribed to the event).
    """
    now = now or timezone.now()
    active = ~Q(model__lifecycle_stage=LifecycleStage.RETIRED)

    def announced(evidence: Any, kind: str) -> Any:
        return ((evidence or {}).get("announced") or {}).get(kind) if isinstance(evidence, dict) else None

    # The notes are read with the ids, so only episodes not yet announced take a row lock.
    stale_ids = [
        pk
        for pk, stale_after, evidence in KPIDefinition.objects.filter(
            active, stale_after__lt=now, stale_after__gte=now - ANNOUNCE_LOOKBACK
        )
        .order_by("stale_after", "pk")
        .values_list("pk", "stale_after", "trend_evidence")
        if announced(evidence, "stale") != _iso(stale_after)
    ]
    degrading_ids = [
        pk
        for pk, evidence in KPIDefinition.objects.filter(active, trend_status=DEGRADING)
        .order_by("pk")
        .values_list("pk", "trend_evidence")
        if announced(evidence, "degrading") != ((evidence or {}).get("degrading_since") or "")
    ]
    sent = {"stale": 0, "degrading": 0}
    for kpi_id in stale_ids:
        sent["stale"] += _announce(kpi_id, "stale", _stale_episode, stale_payload, STALE_EVENT, now)
    for kpi_id in degrading_ids:
        sent["degrading"] += _announce(
            kpi_id, "degrading", _degrading_episode, degrading_payload, DEGRADING_EVENT, now
        )
    return sent
