"""The container image, checked without a Docker engine (none runs here, and
no base image can be pulled): the Dockerfile passes hadolint, copies every
package the project ships, and the wheel it installs builds, installs into a
clean virtual environment and runs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
NOT_SHIPPED = {"tests", "bench", "docs"}
ENTRY_MODULES = (
    "api.app",
    "consumers.commands",
    "consumers.projector",
    "consumers.relay",
    "infra.cli",
    "infra.demo",
    "infra.probe",
)


def run(*cmd: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{cmd} failed:\n{done.stdout}\n{done.stderr}"
    return done


def shipped_packages() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"])


def build_stage() -> str:
    text = DOCKERFILE.read_text()
    return text.split(" AS build\n", 1)[1].split("\nFROM ", 1)[0]


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint is missing: `make install` installs the dev extra"
    run(hadolint, DOCKERFILE)


def test_every_package_of_the_repository_is_shipped_and_copied_into_the_image() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - NOT_SHIPPED
    assert shipped_packages() == packages, "pyproject's wheel packages"
    copied = set(re.findall(r"^COPY (\w+) \./\1$", build_stage(), re.MULTILINE))
    assert copied == packages, "the Dockerfile's COPY lines"
    allowed = set(re.findall(r"^!(\w+)/$", (ROOT / ".dockerignore").read_text(), re.M))
    assert packages <= allowed, ".dockerignore keeps a package out of the context"


def test_the_wheel_the_image_installs_runs_in_a_clean_venv(tmp_path: Path) -> None:
    stage = build_stage()
    # The same steps as the build stage, in the same order.
    for step in (
        "python -m venv --without-pip /opt/venv",
        "pip --python /opt/venv/bin/python install --requirement requirements.txt",
        "pip wheel --no-deps --wheel-dir /src/dist .",
        "pip --python /opt/venv/bin/python install --no-deps /src/dist/seatledger-*",
    ):
        assert step in stage, f"the Dockerfile no longer runs `{step}`"
    requirements_of = re.search(r'python -c "([^"]+)" > requirements.txt', stage)
    assert requirements_of, "the Dockerfile no longer lists the dependencies"

    dist, venv, src = tmp_path / "dist", tmp_path / "venv", tmp_path / "src"
    src.mkdir()
    shutil.copy(ROOT / "pyproject.toml", src)
    listed = run(sys.executable, "-c", requirements_of.group(1), cwd=src).stdout
    (src / "requirements.txt").write_text(listed)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", dist, ROOT)
    (wheel,) = dist.glob("seatledger-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "infra/kafka/pom.xml" in names and "infra/kafka/log4j2.properties" in names
    assert not [n for n in names if n.split("/")[0] in NOT_SHIPPED]
    assert not [n for n in names if n.startswith("infra/kafka/lib/")]

    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--quiet"]
    run(*pip, "--requirement", src / "requirements.txt")
    run(*pip, "--no-deps", wheel)
    assert "serve" in run(venv / "bin" / "seatledger", "--help", cwd=tmp_path).stdout
    # Every process's modules import without pip or setuptools beside them.
    run(python, "-c", f"import {', '.join(ENTRY_MODULES)}", cwd=tmp_path)
    # The HEALTHCHECK's probe ships too: an unreachable URL is unhealthy (1).
    probe = [python, "-m", "infra.probe", "http://127.0.0.1:9/"]
    done = subprocess.run(probe, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 1 and "unhealthy" in done.stderr, done
