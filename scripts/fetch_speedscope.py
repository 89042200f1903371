"""Install speedscope's web app (the npm package, pinned) where the tests look for it.

    python scripts/fetch_speedscope.py [--dest DIR]

tests/test_speedscope_import.py loads the profile exports into speedscope's own importer
(its release bundle in headless Chromium, the way its command line `speedscope FILE` opens a
file). The package is fetched with the npm client (`npm pack`, Debian's `npm` package, which
scripts/setup.sh installs), checked against the pinned sha512 integrity below (what
`npm view speedscope@<version> dist.integrity` prints), and its dist/release folder unpacked to
<venv>/share/speedscope-<version> (default: sys.prefix of this Python, i.e. .venv). Nothing of
it is committed. scripts/setup.sh runs this; it does nothing when the folder is complete.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "1.25.0"
PACKAGE = f"speedscope@{VERSION}"
# `npm view speedscope@1.25.0 dist.integrity`
INTEGRITY = ("sha512-cpf9HWTZf1ijLXBJrk87Ve/54tnYx6rlf0gUThvn3ook6h63hLXVOQiMf44PT+XoV503cPfvfi"
             "T5gP5vojp6Ag==")
LICENSE_NAME = "LICENSE"


def default_dest() -> Path:
    return Path(sys.prefix) / "share" / f"speedscope-{VERSION}"


def _npm_pack() -> bytes:
    """The package's tarball, as the npm client fetches it (its own registry settings)."""
    npm = shutil.which("npm")
    if npm is None:
        raise OSError("npm is not installed (Debian package 'npm'; scripts/setup.sh installs it)")
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.run([npm, "pack", PACKAGE, "--pack-destination", tmp, "--silent"],
                           capture_output=True, text=True, timeout=300, cwd=tmp, check=False)
        tars = list(Path(tmp).glob("*.tgz"))
        if p.returncode != 0 or len(tars) != 1:
            last = (p.stderr.strip().splitlines() or ["no tarball"])[-1]
            raise OSError(f"npm pack {PACKAGE} failed: {last}")
        return tars[0].read_bytes()


def install(dest: Path) -> Path:
    if (dest / "index.html").is_file() and (dest / LICENSE_NAME).is_file():
        return dest
    data = _npm_pack()
    got = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if got != INTEGRITY:
        raise SystemExit(f"fetch_speedscope: {PACKAGE} does not match its pinned sha512 integrity")
    tmp = dest.with_name(dest.name + ".part")
    tmp.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for m in tar.getmembers():
            if not m.isfile():
                continue
            if m.name.startswith("package/dist/release/"):
                rel = m.name[len("package/dist/release/"):]
            elif m.name == "package/LICENSE":
                rel = LICENSE_NAME
            else:
                continue
            if "/" in rel or rel.startswith("."):
                continue
            f = tar.extractfile(m)
            assert f is not None
            (tmp / rel).write_bytes(f.read())
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)
    return dest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dest", type=Path, default=default_dest())
    args = ap.parse_args()
    try:
        print(f"speedscope {VERSION}: {install(args.dest)}")
    except OSError as exc:
        print(f"fetch_speedscope: cannot fetch {PACKAGE}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
