"""The kiosk bundle: build time, size on disk, and start-up time of the built executable.

    .venv/bin/python bench/bundle_bench.py [--bundle dist/rentguy-kiosk] [--runs 5]

Without ``--bundle`` it builds one with PyInstaller (``installers/kiosk/rentguy-kiosk.spec``)
into a temp dir and times the build. Then, headless (``QT_QPA_PLATFORM=offscreen``):

- start-up: ``rentguy-kiosk --help`` -- the frozen interpreter starting and importing the
  whole kiosk (Qt, OpenCV, zxing-cpp, pydantic, httpx) up to its argument parser: what a
  kiosk pays before its window can appear. The first run after the build is "cold" (the
  bundle's files fresh from the build, not yet mapped by any run), then the median of the
  warm runs. The page cache is not dropped (that needs the whole machine): a kiosk after a
  power-on is slower than the cold figure here on the same hardware.
- self-test: ``rentguy-kiosk --self-test``, every check, wall time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "installers" / "kiosk" / "rentguy-kiosk.spec"


def build(workdir: Path) -> tuple[Path, float]:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--distpath", str(workdir / "dist"),
         "--workpath", str(workdir / "work"), str(SPEC)],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    return workdir / "dist" / "rentguy-kiosk", time.perf_counter() - started


def size(path: Path) -> tuple[int, int]:
    total = files = 0
    for item in path.rglob("*"):
        if item.is_file() and not item.is_symlink():
            total += item.stat().st_size
            files += 1
    return total, files


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=300)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bundle", type=Path, help="a built bundle directory (default: build)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    with tempfile.TemporaryDirectory(prefix="rentguy-bundle-") as tmp:
        env["HOME"] = tmp  # no station config of this machine is read
        if args.bundle:
            bundle, build_s = args.bundle, None
        else:
            bundle, build_s = build(Path(tmp))
        exe = str(bundle / "rentguy-kiosk")
        total, files = size(bundle)
        cold = timed([exe, "--help"], env)
        warm = [timed([exe, "--help"], env) for _ in range(args.runs)]
        selftest = [timed([exe, "--self-test"], env) for _ in range(max(1, args.runs // 2))]
    print(f"bundle              {bundle}")
    if build_s is not None:
        print(f"build time          {build_s:.1f} s (PyInstaller, one folder)")
    print(f"bundle size         {total / 2**20:.0f} MiB in {files} files")
    print(f"start-up, cold      {cold:.2f} s (first run after the build)")
    print(f"start-up, warm      {statistics.median(warm):.2f} s (median of {len(warm)})")
    print(f"self-test           {statistics.median(selftest):.2f} s (median of {len(selftest)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
