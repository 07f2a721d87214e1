"""The README's screenshots, taken from the demo as production serves it: ``make screenshots`` runs this.

Starts gunicorn with the production settings on this database (``bench_api.gunicorn_server``: DEBUG off, static files
served by WhiteNoise straight from the finders), signs in through the login form as the demo user each page is for,
and saves one viewport-sized PNG per page under ``--output``. A page that does not answer 200, or that lands on the
login page, stops the run: a screenshot of an error page never reaches the README.

The maturity results page is found by following the assessment list's links (governance never imports maturity).
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from governance.management.commands.bench_api import gunicorn_server
from governance.management.commands.seed_demo import DEMO_ORGANISATION, DEMO_PASSWORD
from governance.models import AIModel
from governance.models.inventory import EUAIActCategory, LifecycleStage

LOGIN_PATH = "/accounts/login/"
ASSESSMENTS_PATH = "/maturity/assessments/"


@dataclass(frozen=True)
class Shot:
    filename: str
    username: str
    # A path, or "results"/"model": found on the running app (see Command._resolve).
    path: str


# In README order. Each page as the person who reads it: the CIO's home and results, the risk officer's registers.
SHOTS = (
    Shot("home.png", "cio", "/"),
    Shot("results.png", "cio", "results"),
    Shot("inventory.png", "risk", "/models/"),
    Shot("model.png", "owner", "model"),
    Shot("risk-heatmap.png", "risk", "/risks/"),
    Shot("compliance-matrix.png", "risk", "/compliance/eu-ai-act/"),
    Shot("audit-integrity.png", "auditor", "/audit/integrity/"),
)


@contextmanager
def _server_log_level(level: str) -> Iterator[None]:
    """The server inherits this process's environment: keep its per-request INFO lines (sign-ins) off the output,
    unless LOG_LEVEL says otherwise, and leave the environment as it was."""
    saved = os.environ.get("LOG_LEVEL")
    os.environ["LOG_LEVEL"] = saved or level
    try:
        yield
    finally:
        if saved is None:
            del os.environ["LOG_LEVEL"]


class Command(BaseCommand):
    help = "Screenshots of the demo's main pages for the README (gunicorn + Debian's chromium through Playwright)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            default="docs/screenshots",
            help="Folder for the PNGs, created if missing (default docs/screenshots).",
        )
        parser.add_argument(
            "--width", type=int, default=1400, help="Viewport width in pixels (default 1400)."
        )
        parser.add_argument(
            "--height", type=int, default=900, help="Viewport height in pixels (default 900)."
        )
        parser.add_argument(
            "--chromium",
            default=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            help="The Chromium to drive (default $CHROMIUM_PATH or /usr/bin/chromium).",
        )

    def handle(self, *args, **options):
        if not 800 <= options["width"] <= 3840 or not 400 <= options["height"] <= 2400:
            raise CommandError("--width is 800 to 3840 and --height 400 to 2400 pixels.")
        usernames = {shot.username for shot in SHOTS}
        found = set(
            get_user_model().objects.filter(username__in=usernames).values_list("username", flat=True)
        )
        if found != usernames:
            raise CommandError(
                f"Demo users missing ({', '.join(sorted(usernames - found))}): run "
                "`python manage.py seed_demo` first (make screenshots does)."
            )
        if not Path(options["chromium"]).exists():
            raise CommandError(
                f"No Chromium at {options['chromium']}: apt-get install chromium (make screenshots installs it "
                "as root), or pass --chromium."
            )
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as error:
            raise CommandError("Playwright is not installed: pip install -e '.[dev]'.") from error
        model = self._demo_model()
        output = Path(options["output"])
        output.mkdir(parents=True, exist_ok=True)

        with (
            _server_log_level("WARNING"),
            gunicorn_server(workers=2) as base,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(
                executable_path=options["chromium"], args=["--headless", "--no-sandbox"]
            )
            try:
                contexts = {}
                for shot in SHOTS:
                    if shot.username not in contexts:
                        contexts[shot.username] = self._signed_in(browser, base, shot.username, options)
                    page = contexts[shot.username]
                    path = self._resolve(page, base, shot.path, model)
                    self._open(page, base, path)
                    target = output / shot.filename
                    page.screenshot(path=str(target))
                    self.stdout.write(f"{target}  ({shot.username}, {path})")
            finally:
                browser.close()

    @staticmethod
    def _demo_model() -> AIModel:
        """A high-risk model in production: the model page with the most to show (versions, risks, compliance)."""
        models = AIModel.objects.filter(organisation__name=DEMO_ORGANISATION).order_by("pk")
        model = (
            models.filter(
                eu_ai_act_category=EUAIActCategory.HIGH_RISK, lifecycle_stage=LifecycleStage.PRODUCTION
            ).first()
            or models.first()
        )
        if model is None:
            raise CommandError(f"No models in {DEMO_ORGANISATION}: run `python manage.py seed_demo` first.")
        return model

    def _signed_in(self, browser, base: str, username: str, options: dict):
        context = browser.new_context(
            viewport={"width": options["width"], "height": options["height"]},
            device_scale_factor=1,
            reduced_motion="reduce",
        )
        page = context.new_page()
        page.goto(base + LOGIN_PATH)
        page.fill("#id_username", username)
        page.fill("#id_password", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        if urlsplit(page.url).path.startswith(LOGIN_PATH):
            raise CommandError(
                f"Could not sign in as {username} with the demo password: was the password changed? "
                "Re-create the demo (a fresh database, then seed_demo)."
            )
        return page

    def _resolve(self, page, base: str, path: str, model: AIModel) -> str:
        if path == "model":
            return f"/models/{model.pk}/"
        if path != "results":
            return path
        # The newest approved assessment of the whole organisation, else the newest approved one at all.
        self._open(page, base, ASSESSMENTS_PATH)
        approved = page.locator("tr", has=page.locator("[data-status=approved]"))
        if approved.count() == 0:
            approved = page.locator("tr", has_text="Approved")
        group = approved.filter(has_text="Whole organisation")
        row = group if group.count() else approved
        if row.count() == 0:
            raise CommandError(f"No approved assessment listed on {ASSESSMENTS_PATH}: run seed_demo first.")
        link = row.first.locator(f"a[href*='{ASSESSMENTS_PATH}']").first.get_attribute("href")
        return urlsplit(urljoin(base + ASSESSMENTS_PATH, link)).path.rstrip("/") + "/results/"

    @staticmethod
    def _open(page, base: str, path: str) -> None:
        response = page.goto(base + path, wait_until="networkidle")
        landed = urlsplit(page.url).path
        if response is None or response.status != 200 or landed != urlsplit(path).path:
            status = response.status if response else "no response"
            raise CommandError(f"{path} answered {status} at {landed}, not 200: no screenshot of that.")
        # Charts draw after load; web fonts may still be swapping in.
        page.evaluate("document.fonts.ready")
