"""Long reports are laid out in chunks of rows and joined (governance/reports/pdf.py): read back with pypdf, the
joined file must read as one document.
"""

import hashlib
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from governance.models import ComplianceRecord, ComplianceStatus, EUAIActCategory, Framework, Requirement
from governance.reports import pdf, render, services, verify
from tests.governance.inventory_factories import AIModelFactory

pytestmark = pytest.mark.django_db

MODELS = 120
REFS = ("CR-1", "CR-2", "CR-3")


def evidence_link(number: int, ref: str) -> str:
    return f"https://dms.example.com/evidence/{number:03d}-{ref}.pdf"


@pytest.fixture
def long_compliance_report(organisation, auditor, risk_officer):
    """A compliance report of 45 models, 3 requirements each, every check recorded with its evidence."""
    framework = Framework.objects.create(
        key="chunk-rules", version="1", name="Chunk Rules", content_hash="0" * 64
    )
    requirements = Requirement.objects.bulk_create(
        Requirement(framework=framework, ref=ref, section="General", title=f"Duty {ref}", position=position)
        for position, ref in enumerate(REFS)
    )
    statuses = [ComplianceStatus.COMPLIANT, ComplianceStatus.PARTIAL, ComplianceStatus.NON_COMPLIANT]
    for number in range(MODELS):
        model = AIModelFactory(
            organisation=organisation,
            name=f"Chunked model {number:03d}",
            eu_ai_act_category=EUAIActCategory.HIGH_RISK,
        )
        ComplianceRecord.objects.bulk_create(
            ComplianceRecord(
                organisation=organisation,
                model=model,
                requirement=requirement,
                status=statuses[(number + position) % 3],
                evidence_link=evidence_link(number, requirement.ref),
                notes="Remediation agreed with the model owner." if (number + position) % 3 == 2 else "",
                reviewer=risk_officer,
                reviewed_at=timezone.now(),
                next_review_due=timezone.localdate() + timedelta(days=90),
            )
            for position, requirement in enumerate(requirements)
        )
    return services.request_report(
        actor=auditor, organisation=organisation, kind="compliance", parameters={"framework": framework.key}
    )


def page_texts(content: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]


def test_a_report_of_several_chunks_reads_as_one_document(long_compliance_report, settings, monkeypatch):
    settings.REPORT_CHUNK_SIZE = 20_000  # a few pages a chunk
    chunks = []
    lay_out = pdf.Body.chunk_html
    monkeypatch.setattr(
        pdf.Body, "chunk_html", lambda body, *span: chunks.append(span) or lay_out(body, *span)
    )

    report = services.generate_report(long_compliance_report.pk)

    assert report.status == "succeeded", report.error
    assert len(chunks) >= 5
    with report.file.open("rb") as handle:
        content = handle.read()
    assert report.sha256 == hashlib.sha256(content).hexdigest() and verify.stored_file_matches(report)
    reader = PdfReader(io.BytesIO(content))
    pages = page_texts(content)
    total = len(pages)
    assert report.page_count == total
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in text
        assert f"Confidential · {report.organisation.name} · Report #{report.pk} · verify at" in text
        # The title heads every page but the cover, which shows it once, as its heading.
        assert text.count(report.title) == 1
    # The contents give each section's page, and link to it.
    contents = re.findall(r"\d+\. ([A-Z][\w :-]+?) \.{3,} (\d+)", pages[1])
    assert [label for label, _ in contents] == [
        label for _, label in services.kind_spec("compliance").build_context(report)["sections"]
    ]
    for label, page in contents:
        assert label in pages[int(page) - 1], (label, page)
    targets = [
        reader.get_page_number(annotation.get_object()["/Dest"][0].get_object())
        for annotation in reader.pages[1]["/Annots"]
    ]
    assert targets == [int(page) - 1 for _, page in contents]
    # The appendix lists every piece of evidence once: no row is lost or repeated where chunks meet.
    whole_text = "".join(pages).replace(" ", "")
    for number in range(MODELS):
        for ref in REFS:
            assert whole_text.count(evidence_link(number, ref)) == 1, (number, ref)
    assert any(page.mediabox.width > page.mediabox.height for page in reader.pages)  # the matrix, landscape

    # Page for page, the same text as the report laid out as a single document (the cover's time aside).
    settings.REPORT_CHUNK_SIZE = 10**9
    chunks.clear()
    single = io.BytesIO()
    render.render_pdf(report, single)
    assert len(chunks) == 1
    assert page_texts(single.getvalue())[1:] == pages[1:]
