"""Extension points: registries that each app fills from its ``AppConfig.ready()``.

The core never names what the apps put here, so ``governance`` can offer report kinds, home panels, navigation
entries and demo data without importing ``maturity``; adding one is a new entry in the app that owns the data.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Items by their unique ``key``, in registration order (or by ``order`` when the items have one)."""

    def __init__(self, noun: str) -> None:
        self.noun = noun
        self._items: dict[str, T] = {}

    def register(self, *items: T) -> None:
        for item in items:
            key = item.key
            if key in self._items:
                raise ValueError(f"The {self.noun} {key!r} is registered twice.")
            self._items[key] = item

    def unregister(self, key: str) -> None:
        """Drop an entry (tests use it to register one of their own and clean up)."""
        self._items.pop(key, None)

    def get(self, key: str) -> T | None:
        return self._items.get(key)

    def __getitem__(self, key: str) -> T:
        try:
            return self._items[key]
        except KeyError:
            raise KeyError(f"No {self.noun} {key!r} is registered.") from None

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[T]:
        items = list(self._items.values())
        if items and all(hasattr(item, "order") for item in items):
            items.sort(key=lambda item: item.order)
        return iter(items)

    def keys(self) -> list[str]:
        return [item.key for item in self]

    def __len__(self) -> int:
        return len(self._items)


# --- Audit actions ------------------------------------------------------------------------------------------


class AuditActions:
    """The audit action names every app declared (one StrEnum per app); ``record_event`` refuses others.

    An app may also give each action a phrase for the audit log's one-line summaries: a verb phrase after the
    actor's name, with ``{object}`` for the record and ``{field}`` (``{field__before}``) for a changed field's
    new (old) value, e.g. "requested {kind} → {requested_stage} for {model}"; or a tuple of phrases, the first
    whose fields the event recorded (with a value) being used.
    """

    def __init__(self) -> None:
        self._owners: dict[str, str] = {}
        self._phrases: dict[str, tuple[str, ...]] = {}
        self._modules: set[str] = set()

    def register(
        self, vocabulary: type[StrEnum], phrases: Mapping[str, str | tuple[str, ...]] | None = None
    ) -> None:
        for action in vocabulary:
            owner = self._owners.get(action.value)
            if owner is not None and owner != vocabulary.__qualname__:
                raise ValueError(
                    f"Audit action {action.value!r} is declared by {owner} and {vocabulary.__qualname__}."
                )
            self._owners[action.value] = vocabulary.__qualname__
        self._modules.add(vocabulary.__module__)
        for action, phrase in (phrases or {}).items():
            if action not in vocabulary._value2member_map_:
                raise ValueError(
                    f"A phrase for {action!r}, which {vocabulary.__qualname__} does not declare."
                )
            self._phrases[str(action)] = (phrase,) if isinstance(phrase, str) else tuple(phrase)

    def __contains__(self, action: object) -> bool:
        return isinstance(action, str) and action in self._owners

    def values(self) -> list[str]:
        return sorted(self._owners)

    def phrases(self, action: str) -> tuple[str, ...]:
        return self._phrases.get(action, ())

    def modules(self) -> list[str]:
        """The modules that declared vocabularies (their apps' records are what events are about)."""
        return sorted(self._modules)


audit_actions = AuditActions()


# --- Report kinds -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportKindSpec:
    """Everything Plumbline knows about one kind of PDF report; the app that owns the data registers it.

    ``build_context(report)`` reads the data (raising ``SubjectError`` when the subject is gone) and returns the
    template's context; the pipeline adds the cover, period and sign-off. A kind about one record names its
    ``subject_model`` (looked up within the report's organisation) and the request form field that picks it.
    ``clean_parameters(parameters)`` validates kind-specific parameters and returns them (normalised) with a
    description of what the report is about, for its title. ``form_fields(scheduled)`` adds the request (or
    schedule) form's fields for those parameters, named as the parameter keys, and
    ``parameters_from_form(cleaned_data)`` reads them back.
    """

    key: str
    label: str
    template: str
    build_context: Callable[[Any], dict[str, Any]]
    title: str  # "Model dossier: {subject}"; {subject} is the subject record or the parameters' description
    order: int = 100
    subject_model: type | None = None
    subject_field: str = ""  # request form field that picks the subject ("subject", "assessment")
    subject_label: str = ""
    subject_help: str = ""
    # The records the request form offers as subjects (default: all of the organisation's subject_model).
    subject_choices: Callable[[Any], Any] | None = None
    # A URL name answering ?q= with {"results": [{"id", "name"}]}: the form then picks the subject by name, with
    # suggestions, instead of a drop-down of every record (for subjects an organisation has thousands of).
    subject_lookup: str = ""
    # How a subject record reaches its organisation, for kinds whose subject has no ``organisation`` of its own
    # (a model version: "model__organisation").
    subject_organisation_field: str = "organisation"
    covers_period: bool = False  # period_start / period_end select the content
    period_help: str = ""  # what the period does to this kind, for the request form's help text
    clean_parameters: Callable[[dict[str, Any]], tuple[dict[str, Any], str | None]] | None = None
    form_fields: Callable[[bool], dict[str, Any]] | None = None  # argument: for the schedule form
    parameters_from_form: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    describe_parameters: Callable[[list[dict[str, Any]]], list[str]] | None = None
    # Who may request it: the roles of the report.request permission unless the kind narrows them.
    roles: frozenset[str] | None = None
    # ``bench_reports``: (subject id, parameters, size label) of a realistic case built in the benchmark's
    # throw-away organisation; ``context`` holds organisation, people, models, framework, units and sizes, and
    # kinds may keep what they build there for each other. None skips the kind.
    benchmark_case: Callable[[dict[str, Any]], tuple[int | None, dict[str, Any], str] | None] | None = None

    def subjects(self, organisation: Any) -> Any:
        """The organisation's records this kind may be about (a queryset of ``subject_model``)."""
        field = self.subject_organisation_field
        subjects = self.subject_model.objects.filter(**{field: organisation})
        # The record's name reads through the same relation (a version is named after its model).
        return subjects.select_related(field.rsplit("__", 1)[0]) if "__" in field else subjects


report_kinds: Registry[ReportKindSpec] = Registry("report kind")


def report_kind_choices() -> list[tuple[str, str]]:
    """(key, label) of every registered report kind: the choices of ``Report.kind`` and the forms."""
    return [(spec.key, spec.label) for spec in report_kinds]


class LazyChoices:
    """Choices read from a registry each time they are iterated, for fields declared before the apps are ready
    (DRF re-creates declared fields per serializer instance, so each instance sees the registry as it is)."""

    def __init__(self, source: Callable[[], list[tuple[str, str]]]) -> None:
        self.source = source

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.source())


REPORT_KIND_CHOICES = LazyChoices(report_kind_choices)


# --- Home panels ---------------------------------------------------------------------------------------------


# Each role's home is one or more named layouts; a panel says in which layouts it appears and at which place.
EXECUTIVE_HOME, OWNER_HOME, RISK_HOME, AUDIT_HOME, ADMIN_HOME = "executive", "owner", "risk", "audit", "admin"
HOMES_BY_ROLE: dict[str, tuple[str, ...]] = {
    "admin": (EXECUTIVE_HOME, ADMIN_HOME),
    "executive": (EXECUTIVE_HOME,),
    # Assessors measure the organisation's maturity: the organisation overview, which opens with it.
    "assessor": (EXECUTIVE_HOME,),
    "model_owner": (OWNER_HOME,),
    "risk_officer": (RISK_HOME,),
    # Validators challenge models and raise findings: the second line's view of findings, reviews and risks.
    "validator": (RISK_HOME,),
    "auditor": (AUDIT_HOME,),
}


@dataclass(frozen=True)
class HomeContext:
    """Who the home page is for: ``organisation``, ``user``, their ``role`` there and ``today``.

    ``shared(key, read)`` runs ``read()`` once per page and hands every panel the same result, so two panels
    showing one figure (the inventory's size, say) spend one query on it.
    """

    organisation: Any
    user: Any
    role: str
    today: Any
    _shared: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def shared(self, key: str, read: Callable[[], T]) -> T:
        if key not in self._shared:
            self._shared[key] = read()
        return self._shared[key]


@dataclass(frozen=True)
class HomePanel:
    """One section of a home page.

    ``homes`` maps each home layout the panel appears in (``EXECUTIVE_HOME``, …) to its place there, lower
    first. ``build(home)`` takes a ``HomeContext`` and returns the template's context (in a fixed number of
    queries, whatever the data size), or None to leave the panel out. ``stat_template`` optionally adds a figure
    to the row of headline numbers at the top; ``wide`` panels take the page's full width.
    """

    key: str
    template: str
    build: Callable[[HomeContext], dict[str, Any] | None]
    homes: Mapping[str, int]
    stat_template: str = ""
    wide: bool = False


home_panels: Registry[HomePanel] = Registry("home panel")


def panels_for_role(role: str | None) -> list[HomePanel]:
    """The registered panels a member with ``role`` sees, in their order (the first layout's panels first)."""
    homes = HOMES_BY_ROLE.get(role or "", ())
    placed = []
    for rank, home in enumerate(homes):
        placed += [(rank, panel.homes[home], panel) for panel in home_panels if home in panel.homes]
    seen: set[str] = set()
    ordered = []
    for *_, panel in sorted(placed, key=lambda item: (item[0], item[1])):
        if panel.key not in seen:
            seen.add(panel.key)
            ordered.append(panel)
    return ordered


home_panels: Registry[HomePanel] = Registry("home panel")


# --- Waiting for you ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitingCount:
    """One kind of thing a person should act on: ``count`` is a scalar subquery counting them (evaluated on the
    organisation's row together with every other count, so the home page spends one query on all of them)."""

    key: str
    singular: str
    plural: str
    url: str
    count: Any


@dataclass(frozen=True)
class WaitingSource:
    """What one app asks of a person. ``counts(organisation, user, role, today)`` lists the counts that role
    may act on (none for a role that may not)."""

    key: str
    counts: Callable[[Any, Any, str, Any], list[WaitingCount]]
    order: int = 100


waiting_sources: Registry[WaitingSource] = Registry("waiting-for-you source")


# --- Reminder digests -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderSource:
    """Another app's section of the daily reminder digest. ``collect(today, horizon, add)`` calls
    ``add(user_id, item)`` for each ``governance.services.reminders.ReminderItem`` of kind ``key`` (in a fixed
    number of queries); ``label`` heads the section, placed after governance's own sections by ``order``."""

    key: str
    label: str
    collect: Callable[[Any, Any, Callable[[int | None, Any], None]], None]
    order: int = 100


reminder_sources: Registry[ReminderSource] = Registry("reminder source")


# --- Navigation ---------------------------------------------------------------------------------------------


class NavGroup(StrEnum):
    """The sidebar's sections, in the order they appear; an entry names the one it belongs to."""

    MATURITY = "Maturity"
    INVENTORY = "Inventory"
    RISK_AND_COMPLIANCE = "Risk & compliance"
    MONITORING = "Monitoring"
    REPORTS = "Reports"
    ADMINISTRATION = "Administration"


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    description: str
    order: int = 100
    # The sidebar section (a ``NavGroup``); the entries are ordered by ``order`` inside it.
    group: str = NavGroup.ADMINISTRATION

    @property
    def key(self) -> str:
        return self.url_name


nav_entries: Registry[NavEntry] = Registry("navigation entry")


# --- Demo data ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSeeder:
    """Fills the demo organisation with one app's data: ``seed(context)`` reads the organisation, its units and
    its users by role from ``context`` (and may leave there what a later seeder needs). Seeders run by ``order``
    and must be idempotent: ``seed_demo`` runs on every ``make run``."""

    key: str
    seed: Callable[[dict[str, Any]], Any]
    order: int = 100


demo_seeders: Registry[DemoSeeder] = Registry("demo seeder")
