"""Re-download the vendored front-end files (Bootstrap, htmx) from the npm registry, byte for byte.

The app never fetches anything at run time: these files are committed under ``governance/static/vendor/``. This
command only makes them reproducible. Each package is pinned to a version and to the tarball's Subresource
Integrity hash (sha512); the registry's own ``dist.integrity`` must agree with the pin, and the downloaded tarball
must hash to it, before a single file is copied. Raising a version means changing ``PACKAGES`` (version and
integrity, as ``npm view <package>@<version> dist.integrity`` prints it) and running the command.
"""

import base64
import hashlib
import io
import json
import tarfile
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

REGISTRY = "https://registry.npmjs.org"
VENDOR_DIR = Path(settings.BASE_DIR) / "governance" / "static" / "vendor"


@dataclass(frozen=True)
class VendoredPackage:
    name: str
    version: str
    integrity: str
    folder: str
    # Path inside the tarball's ``package/`` folder -> path under ``VENDOR_DIR / folder``.
    files: dict[str, str]


PACKAGES = (
    VendoredPackage(
        name="bootstrap",
        version="5.3.9",
        integrity="sha512-20cU0rcfw8WdxtVbmfU+xT2EjvVTw9Ror/h1Qvd7DXCujRg8OO9mdBCsmTHdJFf3BuadmBNJtgIuUXsBqSkk/w==",
        folder="bootstrap",
        files={
            "dist/css/bootstrap.min.css": "css/bootstrap.min.css",
            "dist/js/bootstrap.bundle.min.js": "js/bootstrap.bundle.min.js",
            "LICENSE": "LICENSE",
        },
    ),
    VendoredPackage(
        name="htmx.org",
        version="2.0.11",
        integrity="sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA==",
        folder="htmx",
        files={"dist/htmx.min.js": "htmx.min.js", "LICENSE": "LICENSE"},
    ),
)


def sri_sha512(data: bytes) -> str:
    """The Subresource Integrity string npm records for a tarball."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def fetch_verified_tarball(package: VendoredPackage) -> bytes:
    """The package's tarball, after checking the registry's integrity and the bytes against the pin."""
    metadata = json.loads(_get(f"{REGISTRY}/{urllib.parse.quote(package.name)}/{package.version}"))
    dist = metadata["dist"]
    if dist["integrity"] != package.integrity:
        raise CommandError(
            f"{package.name}@{package.version}: the registry's integrity {dist['integrity']} differs from the pin."
        )
    tarball = _get(dist["tarball"])
    if sri_sha512(tarball) != package.integrity:
        raise CommandError(
            f"{package.name}@{package.version}: the downloaded tarball does not match its integrity."
        )
    return tarball


def extract_files(package: VendoredPackage, tarball: bytes, target: Path) -> list[Path]:
    """Copy the package's listed files out of ``tarball`` into ``target``; nothing else is written."""
    written = []
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for source, destination in package.files.items():
            member = archive.extractfile(f"package/{source}")
            if member is None:
                raise CommandError(f"{package.name}@{package.version} has no file {source}.")
            path = target / destination
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(member.read())
            written.append(path)
    return written


class Command(BaseCommand):
    help = "Re-download the pinned Bootstrap and htmx files from the npm registry into governance/static/vendor/."

    def handle(self, *args, **options) -> None:
        for package in PACKAGES:
            tarball = fetch_verified_tarball(package)
            for path in extract_files(package, tarball, VENDOR_DIR / package.folder):
                self.stdout.write(f"{package.name}@{package.version}: {path.relative_to(settings.BASE_DIR)}")
        self.stdout.write(self.style.SUCCESS("Vendored files match their pinned npm releases."))
