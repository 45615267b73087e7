"""The hashed locks (requirements.lock, requirements-dev.lock) match the pins in requirements*.txt.

`make lock` writes the locks with pip-compile; `make lock-check` runs this file and then a fresh pip-compile
diffed with the committed locks. This file needs no network: it compares the top-level pins with the entries
pip-compile annotated `via -r requirements*.txt`, so a pin added, removed or changed in a .txt without
`make lock` fails here.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\#]+)")


def _name(raw: str) -> str:
    """PEP 503 normalised project name ("Flask_SQLAlchemy" -> "flask-sqlalchemy")."""
    return re.sub(r"[-_.]+", "-", raw).lower()


def pins(txt: Path) -> dict[str, str]:
    """The `name==version` lines of a requirements file (not those of files it includes with -r)."""
    found = {}
    for line in txt.read_text().splitlines():
        m = PIN.match(line.strip())
        if m:
            found[_name(m.group(1))] = m.group(2)
    return found


def lock_entries(lock: Path) -> dict[str, tuple[str, int, set[str]]]:
    """name -> (version, number of hashes, the sources named in its `# via` annotation) of a pip-compile lock."""
    entries: dict[str, tuple[str, int, set[str]]] = {}
    current = None
    for line in lock.read_text().splitlines():
        m = PIN.match(line)
        if m:
            current = _name(m.group(1))
            entries[current] = (m.group(2), 0, set())
            continue
        if current is None:
            continue
        version, hashes, via = entries[current]
        stripped = line.strip()
        if stripped.startswith("--hash=sha256:"):
            entries[current] = (version, hashes + 1, via)
        elif stripped.startswith("#"):
            src = stripped.lstrip("#").strip()
            src = src.removeprefix("via").strip()
            if src.startswith(("-r ", "-c ")):
                via.add(src)
        elif not stripped:
            current = None
    return entries


def mismatches(txt: Path, lock: Path) -> list[str]:
    """What differs between a requirements file's own pins and the entries its lock says came from it."""
    wanted = pins(txt)
    entries = lock_entries(lock)
    locked = {n: v for n, (v, _, via) in entries.items() if f"-r {txt.name}" in via}
    problems = []
    for name, version in sorted(wanted.items()):
        if name not in locked:
            problems.append(f"{name}=={version} is pinned in {txt.name} but not locked from it in {lock.name}")
        elif locked[name] != version:
            problems.append(f"{name}: {txt.name} pins {version}, {lock.name} has {locked[name]}")
    for name in sorted(set(locked) - set(wanted)):
        problems.append(f"{name} is locked from {txt.name} in {lock.name} but no longer pinned there")
    return problems


def test_production_lock_matches_requirements_txt():
    assert mismatches(ROOT / "requirements.txt", ROOT / "requirements.lock") == [], "run `make lock`"


def test_dev_lock_matches_both_requirements_files():
    dev_lock = ROOT / "requirements-dev.lock"
    assert mismatches(ROOT / "requirements-dev.txt", dev_lock) == [], "run `make lock`"
    assert mismatches(ROOT / "requirements.txt", dev_lock) == [], "run `make lock`"


def test_every_locked_package_has_hashes_and_dev_installs_production_versions():
    prod = lock_entries(ROOT / "requirements.lock")
    dev = lock_entries(ROOT / "requirements-dev.lock")
    unhashed = [n for n, (_, hashes, _) in {**prod, **dev}.items() if hashes == 0]
    assert unhashed == [], "pip install --require-hashes refuses these"
    differing = {n: (v, dev.get(n, (None,))[0]) for n, (v, _, _) in prod.items() if dev.get(n, (None,))[0] != v}
    assert differing == {}, "the dev lock must install production's versions (make lock constrains it)"
    # pip itself is locked, so the venv's installer is the locked one too.
    assert "pip" in dev and "setuptools" in dev


def test_a_pin_added_without_relocking_is_caught(tmp_path):
    txt = tmp_path / "requirements.txt"
    txt.write_text((ROOT / "requirements.txt").read_text() + "humanize==4.9.0\n")
    lock = tmp_path / "requirements.lock"
    lock.write_text((ROOT / "requirements.lock").read_text())
    assert mismatches(txt, lock) == [
        "humanize==4.9.0 is pinned in requirements.txt but not locked from it in requirements.lock"
    ]


def test_a_pin_changed_or_removed_without_relocking_is_caught(tmp_path):
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    flask = next(i for i, line in enumerate(lines) if line.startswith("Flask=="))
    lines[flask] = "Flask==0.1"
    nh3 = next(i for i, line in enumerate(lines) if line.startswith("nh3=="))
    del lines[nh3]
    txt = tmp_path / "requirements.txt"
    txt.write_text("\n".join(lines) + "\n")
    lock = tmp_path / "requirements.lock"
    lock.write_text((ROOT / "requirements.lock").read_text())
    found = mismatches(txt, lock)
    assert len(found) == 2
    assert found[0].startswith("flask: requirements.txt pins 0.1, requirements.lock has ")
    assert found[1] == "nh3 is locked from requirements.txt in requirements.lock but no longer pinned there"
