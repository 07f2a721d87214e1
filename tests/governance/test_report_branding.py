"""Report branding: an organisation's logo, accent colour, classification line and sign-off roles, set by its
administrators on /reports/branding/ and printed by every report kind.

The PDFs are rendered in-process by the same service the Celery task calls and read back with pypdf.
"""

import hashlib
import io
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from governance.core.registry import report_kinds
from governance.models import AuditEvent, Organisation, Report
from governance.models.actions import GovernanceAction
from governance.reports import services as report_services
from governance.reports.render import FRONT_KEYS, LOGO_PRINT_SIDE, report_context
from governance.rules.branding import contrast_on_white, palette, parse_colour
from governance.services.branding import branding_update
from tests.governance.inventory_factories import AIModelFactory
from tests.maturity.page_fixtures import approved_history, build_questionnaire

pytestmark = pytest.mark.django_db

ROLES = ["Head of model risk", "Chief risk officer"]
CLASSIFICATION = "Strictly confidential — board use"


def image_bytes(width: int = 240, height: int = 80, image_format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (140, 20, 20)).save(buffer, image_format)
    return buffer.getvalue()


def upload(name: str = "logo.png", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes() if data is None else data, content_type="image/png")


def update(actor, organisation, **changes) -> Organisation:
    values = {
        "classification": CLASSIFICATION,
        "accent_colour": "#8b0000",
        "signoff_roles": ROLES,
        "logo": None,
        "remove_logo": False,
        **changes,
    }
    return branding_update(actor=actor, organisation=organisation, **values)


def branding_events(organisation) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            organisation=organisation, action=GovernanceAction.BRANDING_UPDATE
        ).order_by("sequence")
    )


# --- Rules ---------------------------------------------------------------------------------------------------


def test_contrast_follows_wcag():
    assert contrast_on_white((0, 0, 0)) == pytest.approx(21)
    assert contrast_on_white((255, 255, 255)) == pytest.approx(1)
    # Plumbline's own blue passes its own rule.
    assert contrast_on_white(parse_colour("#1f4e79")) > 3


def test_a_palette_is_only_built_from_a_colour_that_passes():
    assert palette("#8B0000").heading == "#8b0000"
    for stored in ("", None, "#ffff00", "red", "#8b0000;}", "#8b00001", ["#8b0000"]):
        assert palette(stored) is None


# --- The service ---------------------------------------------------------------------------------------------


def test_an_admin_sets_the_branding_and_one_event_records_the_logo_by_its_hash(
    organisation, admin_user_member
):
    data = image_bytes()

    saved = update(admin_user_member, organisation, logo=upload("../../our logo (final).png", data))

    saved.refresh_from_db()
    assert saved.classification == CLASSIFICATION
    assert saved.report_accent_colour == "#8b0000"
    assert saved.report_signoff_roles == ROLES
    sha = hashlib.sha256(data).hexdigest()
    # Named by the service: nothing of the uploader's file name (or path) is kept.
    assert saved.report_logo.name == f"branding/organisation-{organisation.pk}-{sha[:16]}.png"
    with saved.report_logo.open("rb") as handle:
        assert handle.read() == data
    [event] = branding_events(organisation)
    assert event.actor == admin_user_member
    assert event.changes["report_logo"] == [None, sha]
    assert event.changes["report_accent_colour"] == ["", "#8b0000"]
    assert event.changes["report_signoff_roles"] == [[], ROLES]
    assert event.changes["classification"] == ["Confidential", CLASSIFICATION]


def test_saving_the_same_branding_again_records_nothing(organisation, admin_user_member):
    data = image_bytes()
    update(admin_user_member, organisation, logo=upload(data=data))

    update(admin_user_member, organisation)
    update(admin_user_member, organisation, logo=upload("same-logo-again.png", data))

    assert len(branding_events(organisation)) == 1


def test_replacing_and_removing_the_logo_are_audited_and_the_old_file_goes(
    organisation, admin_user_member, django_capture_on_commit_callbacks
):
    first, second = image_bytes(200, 80), image_bytes(300, 90, "JPEG")
    update(admin_user_member, organisation, logo=upload(data=first))
    first_name = Organisation.objects.get(pk=organisation.pk).report_logo.name

    with django_capture_on_commit_callbacks(execute=True):
        saved = update(admin_user_member, organisation, logo=upload("logo.jpeg", second))
    assert saved.report_logo.name.endswith(".jpg")
    assert not saved.report_logo.storage.exists(first_name)
    with django_capture_on_commit_callbacks(execute=True):
        removed = update(admin_user_member, organisation, remove_logo=True)

    assert not removed.report_logo
    replaced, dropped = branding_events(organisation)[1:]
    first_sha, second_sha = (hashlib.sha256(d).hexdigest() for d in (first, second))
    assert replaced.changes == {"report_logo": [first_sha, second_sha]}
    assert dropped.changes == {"report_logo": [second_sha, None]}


def test_every_bad_value_is_reported_at_once_and_nothing_is_saved(organisation, admin_user_member):
    with pytest.raises(ValidationError) as exc:
        update(
            admin_user_member,
            organisation,
            classification="",
            accent_colour="dark red",
            signoff_roles=[f"Role {n}" for n in range(7)],
            logo=upload("logo.png", b"<html>not an image</html>"),
        )

    errors = exc.value.message_dict
    assert set(errors) == {"classification", "accent_colour", "signoff_roles", "logo"}
    assert "six hexadecimal digits" in errors["accent_colour"][0]
    assert "at most 6 sign-off roles (7 given)" in errors["signoff_roles"][0]
    assert "not a valid .png image" in errors["logo"][0]
    organisation.refresh_from_db()
    assert organisation.classification == "Confidential" and not organisation.report_logo
    assert branding_events(organisation) == []


def test_a_pale_accent_is_refused_with_its_contrast_ratio(organisation, admin_user_member):
    with pytest.raises(ValidationError) as exc:
        update(admin_user_member, organisation, accent_colour="#FFFF00")

    [message] = exc.value.message_dict["accent_colour"]
    assert "#ffff00 has a contrast ratio of 1.07:1 against white" in message
    assert "at least 3:1" in message


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        (["Head of model risk", "head of model risk"], "listed twice"),
        (["x" * 81], "limited to 80 characters"),
        (["Head of\nmodel risk"], "one line of text"),
    ],
)
def test_bad_sign_off_roles_are_refused(organisation, admin_user_member, roles, message):
    with pytest.raises(ValidationError) as exc:
        update(admin_user_member, organisation, signoff_roles=roles)
    assert message in exc.value.message_dict["signoff_roles"][0]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("logo.gif", image_bytes(), "PNG or JPEG"),
        ("logo.png", image_bytes(image_format="JPEG"), "not a valid .png image"),  # a renamed JPEG
        ("logo.png", image_bytes()[:-30], "not a valid .png image"),  # truncated
        ("logo.png", image_bytes(4001, 10), "4001 x 10 pixels; the limit is 4000 x 4000"),
        ("logo.png", image_bytes()[:8] + b"\0" * (1024 * 1024), "the limit is 1 MiB"),
        ("logo.png", b"", "empty"),
    ],
)
def test_a_logo_must_be_a_whole_png_or_jpeg_within_the_limits(
    organisation, admin_user_member, name, data, message
):
    with pytest.raises(ValidationError) as exc:
        update(admin_user_member, organisation, logo=SimpleUploadedFile(name, data))
    assert message in exc.value.message_dict["logo"][0]


def test_only_the_organisations_admins_change_its_branding(organisation, assessor, executive, outsider):
    for member in (assessor, executive):
        with pytest.raises(PermissionDenied):
            update(member, organisation)
    # Another organisation's admin is told nothing of this one.
    with pytest.raises(Http404):
        update(outsider, organisation)
    assert branding_events(organisation) == []


# --- The page ------------------------------------------------------------------------------------------------


def test_the_reports_page_links_to_the_branding(login, auditor):
    page = login(auditor).get(reverse("governance:report-list")).content.decode()
    assert reverse("governance:report-branding") in page


def test_an_admin_saves_the_branding_on_the_page(login, organisation, admin_user_member):
    client = login(admin_user_member)
    url = reverse("governance:report-branding")
    page = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="classification"' in page
    assert 'value="Confidential"' in page

    response = client.post(
        url,
        {
            "classification": CLASSIFICATION,
            "accent_colour": "#8B0000",
            "signoff_roles": "Head of model risk\r\n\r\n  Chief risk officer  \r\n",
            "logo": upload(),
        },
        follow=True,
    )

    assert response.redirect_chain == [(url, 302)]
    page = response.content.decode()
    assert "Report branding saved" in page
    assert "<li>Head of model risk</li><li>Chief risk officer</li>" in page
    assert 'fill="#8b0000"' in page
    assert reverse("governance:report-branding-logo") in page
    assert 'name="remove_logo"' in page
    organisation.refresh_from_db()
    assert organisation.report_signoff_roles == ROLES
    logo = client.get(reverse("governance:report-branding-logo"))
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"
    assert b"".join(logo.streaming_content) == image_bytes()
    # The change is on the organisation's audit trail, the logo as its hash.
    trail = client.get(reverse("governance:audit-log")).content.decode()
    assert "changed the report branding" in trail
    assert hashlib.sha256(image_bytes()).hexdigest() in trail


def test_errors_show_on_the_form_and_nothing_typed_is_lost(login, organisation, admin_user_member):
    response = login(admin_user_member).post(
        reverse("governance:report-branding"),
        {
            "classification": "Board only",
            "accent_colour": "#fafafa",
            "signoff_roles": "Head of model risk\nHead of model risk",
            "logo": upload("logo.png", b"GIF89a renamed"),
        },
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_accent_colour_error"' in page and "contrast ratio of 1.04:1" in page
    assert 'id="id_signoff_roles_error"' in page and "listed twice" in page
    assert 'id="id_logo_error"' in page and "Choose the logo file again" in page
    assert 'value="Board only"' in page and 'value="#fafafa"' in page
    assert "Head of model risk\nHead of model risk</textarea>" in page
    organisation.refresh_from_db()
    assert organisation.classification == "Confidential"


def test_other_members_read_the_branding_but_cannot_change_it(login, organisation, auditor):
    client = login(auditor)
    url = reverse("governance:report-branding")

    page = client.get(url)

    assert page.status_code == 200
    assert "Only the organisation's administrators" in page.content.decode()
    assert '<form method="post" enctype' not in page.content.decode()
    assert client.post(url, {"classification": "Public"}).status_code == 403
    organisation.refresh_from_db()
    assert organisation.classification == "Confidential"


def test_a_logo_is_served_only_to_its_organisations_members(
    login, client, organisation, admin_user_member, outsider
):
    update(admin_user_member, organisation, logo=upload())
    logo_url = reverse("governance:report-branding-logo")

    # Another organisation's admin gets their own organisation's logo: it has none.
    assert login(outsider).get(logo_url).status_code == 404
    client.logout()
    assert client.get(logo_url).status_code == 302  # to the sign-in page
    # Never a public media URL.
    assert (
        "/media/" not in login(admin_user_member).get(reverse("governance:report-branding")).content.decode()
    )


# --- Every report kind prints it -----------------------------------------------------------------------------


def render(actor, organisation, kind, subject_id=None) -> Report:
    report = report_services.request_report(
        actor=actor, organisation=organisation, kind=kind, subject_id=subject_id
    )
    return report_services.generate_report(report.pk)


def read_back(report: Report) -> tuple[str, PdfReader]:
    with report.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    return text, reader


def assert_branded(report: Report, organisation) -> tuple[str, PdfReader]:
    assert report.error == "" and report.file, report.error
    text, reader = read_back(report)
    for number, page in enumerate(reader.pages, start=1):
        assert f"{CLASSIFICATION} · {organisation.name} · Report #{report.pk}" in " ".join(
            page.extract_text().split()
        ), f"page {number}"
    assert f"Classification {CLASSIFICATION}" in text  # the cover
    # The logo is drawn on the cover only (charts are vector graphics). The contents page shares the cover's
    # resources, so what it draws is read from its content stream.
    [logo] = reader.pages[0]["/Resources"]["/XObject"].keys()
    drawn = [f"{logo} Do".encode() in page.get_contents().get_data() for page in reader.pages]
    assert drawn == [True] + [False] * (len(reader.pages) - 1)
    assert all(not page.images for page in reader.pages[2:])
    return text, reader


@pytest.fixture
def branded(organisation, admin_user_member):
    """The organisation branded with a wide logo (scaled down for print), a dark red accent and two roles."""
    return update(admin_user_member, organisation, logo=upload(data=image_bytes(2400, 300)))


def test_the_inventory_report_prints_the_branding(branded, organisation, auditor, model_owner):
    AIModelFactory(organisation=organisation, owner=model_owner, name="Credit Scorer")

    report = render(auditor, organisation, "model_inventory")

    text, reader = assert_branded(report, organisation)
    signoff = text[text.rindex("Sign-off") :]
    assert "Prepared by" in signoff and "Head of model risk" in signoff and "Chief risk officer" in signoff
    assert signoff.index("Head of model risk") < signoff.index("Chief risk officer")
    # The organisation's roles replace the generic rows.
    assert "Reviewed by (risk & compliance)" not in signoff and "Approved by (executive)" not in signoff
    logo = reader.pages[0].images[0].image
    assert max(logo.size) == LOGO_PRINT_SIDE and logo.size[0] / logo.size[1] == pytest.approx(8, rel=0.02)
    # The accent colour reaches the stylesheet of the body and of the cover: in PDF, 0x8b = 139 → 0.545 red.
    html = render_to_string(report_kinds[report.kind].template, report_context(report))
    assert re.search(r"h1, h2, \.kpi strong \{ color: #8b0000; \}", html)
    assert "th { background: #f1e0e0; }" in html
    front = render_to_string("governance/pdf/front.html", {**report_context(report), "contents": []})
    assert "color: #8b0000" in front and 'src="data:image/png;base64,' in front
    assert set(FRONT_KEYS) >= {"branding", "organisation"}
    with report.file.open("rb") as handle:
        reader = PdfReader(handle)
        assert any(b"0.545098 0 0 rg" in c for c in _streams(reader))


def _streams(reader: PdfReader) -> list[bytes]:
    return [page.get_contents().get_data() for page in reader.pages if page.get_contents() is not None]


def test_the_maturity_reports_print_the_branding_after_their_named_rows(
    branded, organisation, executive, auditor
):
    history = approved_history(organisation, build_questionnaire(), 2)

    maturity = render(executive, organisation, "organisation_maturity")
    assessment = render(auditor, organisation, "assessment", subject_id=history[-1].pk)

    text, _ = assert_branded(maturity, organisation)
    signoff = text[text.rindex("Sign-off") :]
    assert "Head of model risk" in signoff and "Reviewed by (risk & compliance)" not in signoff
    text, _ = assert_branded(assessment, organisation)
    signoff = text[text.rindex("Sign-off") :]
    # Who submitted and approved the assessment stays named; the organisation's roles follow.
    assert signoff.index("Assessment submitted by") < signoff.index("Assessment approved by")
    assert signoff.index("Assessment approved by") < signoff.index("Head of model risk")
    assert "Reviewed by (audit)" not in signoff


def test_without_branding_reports_keep_their_own_rows_and_colours(organisation, auditor):
    report = render(auditor, organisation, "model_inventory")

    text, reader = read_back(report)
    signoff = text[text.rindex("Sign-off") :]
    assert "Reviewed by (risk & compliance)" in signoff and "Approved by (executive)" in signoff
    assert not reader.pages[0].images
    html = render_to_string(report_kinds[report.kind].template, report_context(report))
    assert "color: #1f4e79" in html and "#8b0000" not in html


def test_a_stored_value_that_fails_the_rules_never_reaches_the_stylesheet(organisation, auditor):
    # As if changed behind the service's back (a database console, an old import).
    Organisation.objects.filter(pk=organisation.pk).update(
        report_accent_colour="#000;}", report_signoff_roles=["ok", 7], report_logo="branding/missing.png"
    )
    queued = report_services.request_report(actor=auditor, organisation=organisation, kind="model_inventory")
    report = Report.objects.select_related("organisation", "requested_by").get(pk=queued.pk)

    context = report_context(report)
    html = render_to_string(report_kinds[report.kind].template, context)

    assert context["branding"].palette is None and context["branding"].logo == ""
    assert "#000;}" not in html
    assert "Reviewed by (risk &amp; compliance)" in html
