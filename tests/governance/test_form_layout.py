"""The model form as a person meets it: five sections, themselves as owner, no classification chosen for them,
and every problem of a refused form listed at once above it, each linked to its field."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from governance.core.roles import Role
from governance.models import AIModel, AuditEvent
from governance.services.webhooks import webhook_endpoint_save
from tests.governance.inventory_factories import AIModelFactory

pytestmark = pytest.mark.usefixtures("permissive_release_policy")

CREATE = "governance:model-create"


class _Page(HTMLParser):
    """The parts of a form page these tests read: legends, selected options, the error summary's links."""

    def __init__(self) -> None:
        super().__init__()
        self.legends: list[str] = []
        self.selected: dict[str, str] = {}  # select id -> value of its selected option
        self.options: dict[str, list[tuple[str, str]]] = {}  # select id -> (value, text)
        self.summary_links: list[tuple[str, str]] = []  # (href, text)
        self.summary_items: list[str] = []
        self.ids: set[str] = set()
        self._in = {"legend": 0, "summary": 0, "a": None, "li": None, "option": None}
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if self._in["summary"]:
            self._in["summary"] += 1
        elif "data-error-summary" in a:
            self._in["summary"] = 1
        if tag == "legend":
            self._in["legend"] = 1
            self.legends.append("")
        elif tag == "select":
            self._select = a.get("id")
            self.options[self._select] = []
        elif tag == "option" and self._select:
            self._in["option"] = [a.get("value", ""), ""]
            if "selected" in a:
                self.selected[self._select] = a.get("value", "")
        elif tag == "a" and self._in["summary"]:
            self._in["a"] = [a.get("href", ""), ""]
        elif tag == "li" and self._in["summary"]:
            self._in["li"] = ""

    def handle_endtag(self, tag):
        if tag == "legend":
            self._in["legend"] = 0
        elif tag == "select":
            self._select = None
        elif tag == "option" and self._in["option"] is not None:
            self.options[self._select].append(tuple(s.strip() for s in self._in["option"]))
            self._in["option"] = None
        elif tag == "a" and self._in["a"] is not None:
            self.summary_links.append((self._in["a"][0], self._in["a"][1].strip()))
            self._in["a"] = None
        elif tag == "li" and self._in["li"] is not None:
            self.summary_items.append(" ".join(self._in["li"].split()))
            self._in["li"] = None
        if self._in["summary"]:
            self._in["summary"] -= 1

    def handle_data(self, data):
        if self._in["legend"]:
            self.legends[-1] += data.strip()
        if self._in["option"] is not None:
            self._in["option"][1] += data
        if self._in["a"] is not None:
            self._in["a"][1] += data
        if self._in["li"] is not None:
            self._in["li"] += data


def _read(response) -> _Page:
    page = _Page()
    page.feed(response.content.decode())
    return page


def _valid(owner, **changes) -> dict:
    return {
        "name": "Collections model",
        "purpose": "Next best action.",
        "owner": owner.pk,
        "lifecycle_stage": "development",
        "eu_ai_act_category": "limited",
        "decisions_about_people": "supports",
        "materiality": 3,
        "complexity": 2,
        **changes,
    }


def test_the_model_form_has_five_sections_in_order(login, model_owner):
    page = _read(login(model_owner).get(reverse(CREATE)))
    assert page.legends == ["Identity", "Ownership", "Classification", "Deployment", "Review"]


def test_the_edit_form_keeps_the_sections_without_the_stage(login, model_owner, ai_model):
    response = login(model_owner).get(reverse("governance:model-edit", args=[ai_model.pk]))
    page = _read(response)
    assert page.legends == ["Identity", "Ownership", "Classification", "Deployment", "Review"]
    assert "id_lifecycle_stage" not in page.ids
    # An existing model shows what it was filed as, not an empty choice.
    assert page.selected["id_eu_ai_act_category"] == ai_model.eu_ai_act_category


def test_a_new_model_is_owned_by_whoever_adds_it(login, model_owner, risk_officer):
    assert _read(login(model_owner).get(reverse(CREATE))).selected["id_owner"] == str(model_owner.pk)
    assert _read(login(risk_officer).get(reverse(CREATE))).selected["id_owner"] == str(risk_officer.pk)


def test_the_classification_starts_unchosen(login, model_owner):
    page = _read(login(model_owner).get(reverse(CREATE)))
    for select in ("id_eu_ai_act_category", "id_decisions_about_people"):
        assert page.options[select][0] == ("", "— choose —")
        assert page.selected.get(select, "") == ""
    assert ("minimal", "Minimal risk") in page.options["id_eu_ai_act_category"]


def test_labels_are_written_for_people(login, model_owner):
    html = login(model_owner).get(reverse(CREATE)).content.decode()
    assert re.search(r'for="id_eu_ai_act_category"[^>]*>\s*EU AI Act category', html)
    assert "Eu ai act" not in html


def test_a_model_without_an_eu_ai_act_category_is_refused_and_the_summary_links_to_it(login, model_owner):
    data = _valid(model_owner)
    del data["eu_ai_act_category"]
    response = login(model_owner).post(reverse(CREATE), data)
    assert response.status_code == 400
    assert not AIModel.objects.filter(name="Collections model").exists()
    assert not AuditEvent.objects.filter(action="model.create").exists()
    page = _read(response)
    assert page.summary_links == [("#id_eu_ai_act_category", "EU AI Act category")]
    assert page.summary_items == ["EU AI Act category: Choose the EU AI Act category."]
    assert "id_eu_ai_act_category_error" in page.ids  # the message beside the field too
    assert page.selected["id_owner"] == str(model_owner.pk)  # what was chosen is kept


def test_every_problem_comes_back_in_one_round(login, model_owner, ai_model):
    # A name already taken, no purpose, no classification, an override without a reason and a third-party model
    # without its vendor: the form's own checks and the inventory's rules, all in one response, in form order.
    data = _valid(
        model_owner,
        name=ai_model.name,
        purpose="",
        eu_ai_act_category="",
        decisions_about_people="",
        risk_tier_override="high",
        third_party="on",
    )
    response = login(model_owner).post(reverse(CREATE), data)
    assert response.status_code == 400
    page = _read(response)
    assert [href for href, _ in page.summary_links] == [
        "#id_name",
        "#id_purpose",
        "#id_eu_ai_act_category",
        "#id_decisions_about_people",
        "#id_risk_tier_override_reason",
        "#id_vendor",
    ]
    assert "Name: A model with this name already exists in the inventory." in page.summary_items
    assert "Vendor: Name the vendor of a third-party model." in page.summary_items


def test_a_valid_model_is_saved_as_chosen(login, model_owner):
    response = login(model_owner).post(reverse(CREATE), _valid(model_owner))
    model = AIModel.objects.get(name="Collections model")
    assert response.url == reverse("governance:model-detail", args=[model.pk])
    assert (model.owner, model.eu_ai_act_category, model.decisions_about_people) == (
        model_owner,
        "limited",
        "supports",
    )
    assert AuditEvent.objects.filter(action="model.create").exists()


def test_other_forms_list_their_errors_in_the_summary_too(login, model_owner, ai_model):
    # A risk with only a description: the shared record form lists every missing field, each linked.
    response = login(model_owner).post(
        reverse("governance:risk-create", args=[ai_model.pk]), {"description": "Drift in the bureau data."}
    )
    assert response.status_code == 400
    hrefs = [href for href, _ in _read(response).summary_links]
    assert {"#id_title", "#id_likelihood", "#id_impact"} <= set(hrefs)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_summary_takes_the_focus_and_its_links_lead_to_the_fields(
    browser_login, live_server, make_member
):
    owner = make_member(Role.MODEL_OWNER, username="browser-owner")
    page = browser_login(owner)
    page.goto(f"{live_server.url}/models/new/")
    page.fill("#id_name", "Browser credit scorer")
    page.click("button:has-text('Save')")
    page.wait_for_selector("[data-error-summary]")
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    page.click("[data-error-summary] a[href='#id_eu_ai_act_category']")
    assert page.evaluate("document.activeElement.id") == "id_eu_ai_act_category"
    assert page.input_value("#id_name") == "Browser credit scorer"


def test_a_missing_category_and_a_name_taken_show_together(login, model_owner, ai_model):
    # The name is taken whatever its case: the inventory's rule and the form's required choice in one response.
    data = _valid(model_owner, name=f"  {ai_model.name.upper()} ")
    del data["eu_ai_act_category"]
    response = login(model_owner).post(reverse(CREATE), data)
    assert response.status_code == 400
    page = _read(response)
    assert page.summary_items == [
        "Name: A model with this name already exists in the inventory.",
        "EU AI Act category: Choose the EU AI Act category.",
    ]
    assert {"id_name_error", "id_eu_ai_act_category_error"} <= page.ids
    assert AIModel.objects.filter(organisation=ai_model.organisation).count() == 1


def test_editing_lists_the_form_and_inventory_problems_at_once(login, model_owner, ai_model):
    other = AIModelFactory(organisation=ai_model.organisation, owner=model_owner, name="Fraud detector")
    response = login(model_owner).post(
        reverse("governance:model-edit", args=[ai_model.pk]),
        _valid(
            model_owner,
            name=other.name,
            materiality="9",
            risk_tier_override="high",
            risk_tier_override_reason="  ",
            third_party="on",
            vendor="",
        ),
    )
    assert response.status_code == 400
    assert [href for href, _ in _read(response).summary_links] == [
        "#id_name",
        "#id_materiality",
        "#id_risk_tier_override_reason",
        "#id_vendor",
    ]
    ai_model.refresh_from_db()
    assert ai_model.name != other.name
    assert not AuditEvent.objects.filter(action="model.update").exists()


def test_a_model_keeps_its_own_name_when_edited(login, model_owner, ai_model):
    data = _valid(model_owner, name=ai_model.name, purpose="A clearer purpose.")
    del data["lifecycle_stage"]
    response = login(model_owner).post(reverse("governance:model-edit", args=[ai_model.pk]), data)
    assert response.status_code == 302
    ai_model.refresh_from_db()
    assert ai_model.purpose == "A clearer purpose."


def test_a_refused_webhook_edit_lists_its_errors_and_describes_the_events_by_them(
    login, organisation, admin_user_member
):
    endpoint, _ = webhook_endpoint_save(
        actor=admin_user_member,
        organisation=organisation,
        name="Ops",
        url="https://hooks.example.com/",
        events=["incident.opened"],
    )
    response = login(admin_user_member).post(
        reverse("governance:webhook-edit", args=[endpoint.pk]),
        {"name": "", "url": "https://hooks.example.com/"},
    )
    assert response.status_code == 400
    page = _read(response)
    # A group of checkboxes is reached through its first one.
    assert [href for href, _ in page.summary_links] == ["#id_name", "#id_events_0"]
    assert "id_events_error" in page.ids
    html = response.content.decode()
    assert re.search(r'<fieldset[^>]*aria-describedby="id_events_helptext id_events_error"', html)


def test_a_refused_sign_in_says_why_in_the_summary(client, assessor):
    wrong = _read(client.post(reverse("login"), {"username": assessor.username, "password": "wrong"}))
    assert len(wrong.summary_items) == 1 and "correct username and password" in wrong.summary_items[0]
    empty = _read(client.post(reverse("login"), {"username": "", "password": ""}))
    assert [href for href, _ in empty.summary_links] == ["#id_username", "#id_password"]
    assert {"id_username", "id_password"} <= empty.ids  # the links lead somewhere


def test_a_refused_token_lists_every_problem_with_links(login, model_owner):
    response = login(model_owner).post(reverse("api-token-create"), {"name": "", "lifetime_days": "9999"})
    assert response.status_code == 400
    page = _read(response)
    assert [href for href, _ in page.summary_links] == ["#id_name", "#id_scope_0", "#id_lifetime_days"]
    assert {"id_name_error", "id_scope_error", "id_lifetime_days_error", "id_scope_0"} <= page.ids
