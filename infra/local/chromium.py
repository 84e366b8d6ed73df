"""A headless Chromium for the console's browser tests: Debian's `chromium`
package, installed with apt when missing (as root), like the suite's
PostgreSQL. Playwright drives it; `playwright install` is never called (it
downloads a browser build of its own, which this project's machines cannot).

    python -m infra.local.chromium     # installs if needed, prints the path
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
_INSTALL_LOCK = "/tmp/seatledger-chromium-install.lock"
_INSTALL_HINT = "install Debian's chromium, e.g. `sudo apt-get install -y chromium`"

# Quiet, headless and offline: no sandbox (tests run as root), and none of
# the background traffic a desktop browser starts on its own.
ARGS = (
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


class ChromiumNotInstalledError(RuntimeError):
    pass


def find() -> Path | None:
    for candidate in CANDIDATES:
        if Path(candidate).exists():
            return Path(candidate)
    found = shutil.which("chromium")
    return Path(found) if found else None


def ensure_installed() -> Path:
    found = find()
    if found is not None:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise ChromiumNotInstalledError(f"no chromium: {_INSTALL_HINT}")
    # Parallel test workers may all get here: one installs, the others wait.
    with open(_INSTALL_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (found := find()) is not None:
            return found
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (
            ["apt-get", "update"],
            ["apt-get", "install", "-y", "chromium"],
        ):
            done = subprocess.run(
                cmd,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
                raise ChromiumNotInstalledError(
                    f"`{' '.join(cmd)}` failed ({done.returncode}):\n{tail}"
                )
    found = find()
    if found is None:
        raise ChromiumNotInstalledError(f"apt installed chromium, yet: {_INSTALL_HINT}")
    return found


if __name__ == "__main__":
    print(ensure_installed())
