"""The README's role table says exactly what governance/core/roles.py allows."""

import re
from pathlib import Path

from governance.core.roles import PERMISSIONS, Permission, Role

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_role_table_matches_the_permission_table():
    lines = README.read_text().splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("| may |"))
    labels = [cell.strip() for cell in lines[header_at].strip("|").split("|")[1:]]
    roles = {role.label: role.value for role in Role}
    assert labels == [role.label for role in Role]
    documented = {}
    for line in lines[header_at + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        permission = re.search(r"\(`([a-z_.]+)`\)", cells[0]).group(1)
        documented[permission] = {
            roles[label] for label, cell in zip(labels, cells[1:], strict=True) if cell == "✓"
        }
    assert set(documented) == {p.value for p in Permission}
    for permission in Permission:
        assert documented[permission.value] == set(PERMISSIONS[permission]), permission
