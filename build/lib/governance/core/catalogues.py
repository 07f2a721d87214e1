"""The core shared by every versioned data catalogue (the maturity questionnaire, the compliance frameworks).

A catalogue is a YAML file under an app's ``data/`` folder, identified by a version and loaded into the database
once: a loaded version is immutable, so changed content must arrive under a new version. This module holds what
every loader does the same way: parse the file, order versions, hash content, and the ``load_*`` command base.
"""

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def version_sort_key(version: str) -> tuple:
    """Order "1" < "2" < "10" and "2026.1" < "2026.2" < "2026.10" (numeric parts compare as numbers)."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"[.\-]", version)
    )


def parse_yaml(raw: bytes, path: Path, expected: str) -> dict[str, Any]:
    """The mapping a catalogue file holds; a ValidationError under ``file`` when it is not YAML or not a mapping.

    ``expected`` names the top-level keys for the message ("key, version, requirements").
    """
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ValidationError({"file": [f"{path.name} is not valid YAML: {exc}"]}) from exc
    if not isinstance(data, dict):
        raise ValidationError({"file": [f"{path.name} must hold a mapping with {expected}."]})
    return data


def is_text(value: Any) -> bool:
    """A non-blank string: what every required text entry of a catalogue must be."""
    return isinstance(value, str) and bool(value.strip())


def content_hash(data: dict[str, Any]) -> str:
    """SHA-256 of a catalogue's canonical content (comments and formatting do not count as changes)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def file_sha256(raw: bytes) -> str:
    """SHA-256 of a catalogue file's bytes, for catalogues whose identity is the file itself."""
    return hashlib.sha256(raw).hexdigest()


def files_in_order(directory: Path, order: Callable[[Path], Any]) -> list[Path]:
    """The catalogue files (``*.yaml``) of ``directory``, sorted by ``order`` (oldest version first)."""
    return sorted(Path(directory).glob("*.yaml"), key=order)


class LoadCatalogueCommand(BaseCommand):
    """Load every shipped file, or one with ``--file``; a file already loaded unchanged is left alone.

    Subclasses name what they load and supply the loader and the two lines they print.
    """

    noun = "catalogue"  # "framework", "questionnaire": used in --help and messages
    data_dir: Path

    def shipped_files(self) -> list[Path]:
        raise NotImplementedError

    def load(self, path: Path, make_current: bool) -> tuple[Any, bool]:
        """Load one file; answer the loaded object and whether it was new."""
        raise NotImplementedError

    def describe_loaded(self, obj: Any, path: Path) -> str:
        raise NotImplementedError

    def describe_existing(self, obj: Any, path: Path) -> str:
        raise NotImplementedError

    def add_arguments(self, parser) -> None:
        parser.add_argument("--file", type=Path, help=f"Load only this {self.noun} file.")
        parser.add_argument(
            "--not-current",
            action="store_true",
            help=f"Load a new version without making it the current {self.noun}.",
        )

    def handle(self, *args, **options) -> None:
        path = options["file"] or self.data_dir
        try:
            if options["file"]:
                if not path.is_file():
                    raise CommandError(f"No such file: {path}")
                paths = [path]
            else:
                paths = self.shipped_files()
                if not paths:
                    raise CommandError(f"No {self.noun} files found in {self.data_dir}.")
            for path in paths:
                obj, created = self.load(path, make_current=not options["not_current"])
                if created:
                    self.stdout.write(self.style.SUCCESS(self.describe_loaded(obj, path)))
                elif options["verbosity"] >= 1:
                    self.stdout.write(self.describe_existing(obj, path))
        except ValidationError as exc:
            details = "; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in exc.message_dict.items())
            raise CommandError(f"{path}: {details}") from exc
