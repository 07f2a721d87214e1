"""A real OpenID Connect provider for the tests: panva's oidc-provider (tests/oidc_provider), run by Node.js.

``OIDCProvider.start()`` installs it from its lock file once (``npm ci``; the first run needs the npm
registry), starts it on a free port and waits for its discovery document. Accounts and clients live in a JSON
file that the provider reads again at each sign-in, so a test can change a person's groups between two.
"""

import fcntl
import json
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urljoin

import requests

PROVIDER_DIR = Path(__file__).parent / "oidc_provider"
RP_CLIENT_ID, RP_CLIENT_SECRET = "plumbline", "plumbline-test-client-secret"
OTHER_CLIENT_ID, OTHER_CLIENT_SECRET = "another-app", "another-app-secret"
OTHER_REDIRECT_URI = "http://127.0.0.1:9/another-app/callback"


def install_provider() -> None:
    """``npm ci`` once per checkout; a lock keeps two test processes from installing at the same time."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise RuntimeError(
            "The single sign-on tests need Node.js 20+ and npm (apt-get install -y nodejs npm)."
        )
    with open(PROVIDER_DIR / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
            return
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=PROVIDER_DIR,
            check=True,
            timeout=600,
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OIDCProvider:
    def __init__(self, workdir: Path, redirect_uris: list[str]) -> None:
        self.config_path = workdir / "oidc-provider.json"
        self.log_path = workdir / "oidc-provider.log"
        self.port = _free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.redirect_uris = redirect_uris
        self.accounts: dict[str, dict] = {}
        self.process: subprocess.Popen | None = None

    def write_config(self) -> None:
        clients = [
            {
                "client_id": RP_CLIENT_ID,
                "client_secret": RP_CLIENT_SECRET,
                "redirect_uris": self.redirect_uris,
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_post",
            },
            {
                "client_id": OTHER_CLIENT_ID,
                "client_secret": OTHER_CLIENT_SECRET,
                "redirect_uris": [OTHER_REDIRECT_URI],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_post",
            },
        ]
        self.config_path.write_text(json.dumps({"clients": clients, "accounts": self.accounts}))

    def set_account(self, login: str, **claims) -> None:
        self.accounts[login] = claims
        self.write_config()

    def start(self, timeout: float = 30) -> "OIDCProvider":
        install_provider()
        self.write_config()
        log = open(self.log_path, "wb")  # noqa: SIM115 - the process writes to it until stop()
        self.process = subprocess.Popen(
            ["node", "provider.mjs", str(self.port), str(self.config_path)],
            cwd=PROVIDER_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(self.discovery_url, timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(
            f"oidc-provider did not start:\n{self.log_path.read_text(errors='replace')[-3000:]}"
        )

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def sign_in(self, authorization_url: str, login: str) -> str:
        """Sign ``login`` in at the provider's own pages, as a person would; returns the URL the provider sends
        the browser back to (the relying party's callback with ``code`` and ``state``)."""
        session = requests.Session()
        url = authorization_url
        for _ in range(10):
            response = session.get(url, allow_redirects=False, timeout=10)
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                if not url.startswith(self.issuer):
                    return url
                continue
            form = re.search(r'<form[^>]*action="([^"]+)"', response.text)
            assert form, f"no sign-in form at {url}: {response.status_code} {response.text[:500]}"
            response = session.post(
                urljoin(url, form.group(1)),
                data={"prompt": "login", "login": login, "password": "any"},
                allow_redirects=False,
                timeout=10,
            )
            assert response.is_redirect, response.text[:500]
            url = urljoin(url, response.headers["Location"])
            if not url.startswith(self.issuer):
                return url
        raise AssertionError("the provider kept redirecting")
