"""Load a run's index.html in headless Chromium: screenshot + "did everything render?".

Checks (exit 0 only when all hold):

* every ``<img>`` of the page finished loading with ``naturalWidth > 0``;
* no resource failed to load (capturing ``error`` listener on the window);
* the page fetched nothing from the network (``performance`` resource entries other than
  ``data:`` URIs; the browser also runs with every host name mapped to NOTFOUND, so a
  remote reference would fail and be reported);
* the expected sections are in the rendered DOM;
* the screenshot is a non-blank PNG.

The check runs on a temporary copy of the page with a small probe script injected at
the top of ``<head>``; the screenshot is taken of the unmodified page.

Usage::

    python benchmarks/screenshot_report.py                  # trains a small run first
    python benchmarks/screenshot_report.py --run reports/svm-... --out shot.png

Exit codes: 0 ok, 1 a check failed, 2 Chromium is not installed
(``apt-get install -y chromium``).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "reports" / "benchmarks" / "report-screenshot.png"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")

_PROBE = """<script>
(function () {
  var fails = [];
  window.addEventListener('error', function (e) {
    var t = e.target;
    if (t && t !== window) { fails.push((t.tagName || '?') + ' ' +
      String(t.currentSrc || t.src || t.href || '').slice(0, 80)); }
    else { fails.push('script error: ' + e.message); }
  }, true);
  window.addEventListener('load', function () {
    var imgs = Array.prototype.map.call(document.images, function (i) {
      return {file: i.getAttribute('data-file') || String(i.src).slice(0, 60),
              complete: i.complete, w: i.naturalWidth, h: i.naturalHeight};
    });
    var res = performance.getEntriesByType('resource').map(function (r) { return r.name; })
      .filter(function (n) { return n.indexOf('data:') !== 0; });
    var sections = Array.prototype.map.call(document.querySelectorAll('section[id]'),
      function (s) { return s.id; });
    var pre = document.createElement('pre');
    pre.id = 'mer-check'; pre.style.display = 'none';
    pre.textContent = JSON.stringify({images: imgs, failed: fails, resources: res,
                                      sections: sections});
    document.body.appendChild(pre);
  });
})();
</script>"""


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome binary, or None."""
    for name in CHROMIUM_NAMES:
        p = shutil.which(name)
        if p:
            return p
    return None


def _chromium(binary: str, profile: Path, *args: str, timeout: float = 90) -> str:
    cmd = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
        *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"chromium exited {proc.returncode}: {proc.stderr[-800:]}")
    return proc.stdout


def _png_size(path: Path) -> tuple[int, int]:
    with open(path, "rb") as fh:
        head = fh.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    return struct.unpack(">II", head[16:24])


def check_page(
    page: Path,
    screenshot: Path | None = None,
    *,
    chromium: str | None = None,
    width: int = 1280,
    height: int = 2400,
) -> dict:
    """Load ``page`` in headless Chromium; return the probe's findings and problems.

    Returns
    -------
    dict
        ``images``, ``failed``, ``resources``, ``sections`` from the page, plus
        ``problems`` (list of str; empty when every check passed) and ``seconds``.
    """
    binary = chromium or find_chromium()
    if binary is None:
        raise FileNotFoundError(
            "chromium not found; install it with `apt-get install -y chromium`"
        )
    t0 = time.perf_counter()
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="mer-shot-") as tmp:
        tmpd = Path(tmp)
        text = page.read_text(encoding="utf-8")
        probe_page = tmpd / "probe.html"
        probe_page.write_text(
            text.replace("<head>", "<head>" + _PROBE, 1), encoding="utf-8"
        )
        dom = _chromium(
            binary,
            tmpd / "profile1",
            "--virtual-time-budget=15000",
            "--dump-dom",
            probe_page.as_uri(),
        )
        m = re.search(r'<pre id="mer-check"[^>]*>(.*?)</pre>', dom, re.S)
        if not m:
            return {
                "problems": ["the probe did not report (page did not finish loading)"],
                "seconds": time.perf_counter() - t0,
            }
        found = json.loads(html.unescape(m.group(1)))
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            shot_tmp = tmpd / "shot.png"
            _chromium(
                binary,
                tmpd / "profile2",
                "--hide-scrollbars",
                f"--window-size={width},{height}",
                "--virtual-time-budget=15000",
                f"--screenshot={shot_tmp}",
                page.resolve().as_uri(),
            )
            if not shot_tmp.exists():
                problems.append("chromium wrote no screenshot")
            else:
                w, h = _png_size(shot_tmp)
                if (w, h) != (width, height) or shot_tmp.stat().st_size < 20_000:
                    problems.append(
                        f"screenshot looks wrong: {w}x{h}, "
                        f"{shot_tmp.stat().st_size} bytes"
                    )
                os.replace(
                    shot_tmp, screenshot
                ) if shot_tmp.stat().st_dev == screenshot.parent.stat().st_dev else shutil.copyfile(
                    shot_tmp, screenshot
                )
    if not found["images"]:
        problems.append("the page has no images")
    for img in found["images"]:
        if not img["complete"] or img["w"] <= 0 or img["h"] <= 0:
            problems.append(f"image {img['file']} did not render ({img})")
    problems += [f"failed to load: {f}" for f in found["failed"]]
    problems += [f"network request: {r}" for r in found["resources"]]
    for sid in ("settings", "honest", "importance", "params"):
        if sid not in found["sections"]:
            problems.append(f"section #{sid} missing")
    found["problems"] = problems
    found["seconds"] = round(time.perf_counter() - t0, 2)
    return found


def _make_run(root: Path) -> Path:
    """An SVM run on the bundled data (grid search), with held-out importance."""
    from mer_classic._workflows import TrainSettings, resolve_training_table, run_train
    from mer_classic.importance import add_importance_to_run

    out = root / "run"
    run_train(
        TrainSettings(
            model="svm",
            data=None,
            target=[],
            task="classify",
            grid=True,
            out=out,
            quiet=True,
        )
    )
    t = resolve_training_table(
        None, target=[], task="classify", group=None, id_col=None, exclude=[]
    )
    add_importance_to_run(out, t.X, t.y, t.groups)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", type=Path, help="run folder (default: train a small one)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="screenshot PNG")
    ap.add_argument("--no-screenshot", action="store_true")
    ap.add_argument("--height", type=int, default=2400)
    args = ap.parse_args(argv)
    if find_chromium() is None:
        print(
            "SKIP: chromium not found; install it with `apt-get install -y chromium`",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="mer-run-") as tmp:
        run = args.run or _make_run(Path(tmp))
        page = run / "index.html"
        if not page.exists():
            print(
                f"no index.html in {run}; run `mer-classic report {run}`",
                file=sys.stderr,
            )
            return 1
        res = check_page(
            page, None if args.no_screenshot else args.out, height=args.height
        )
    print(
        json.dumps(
            {
                "page": str(page),
                "images": len(res.get("images", [])),
                "sections": res.get("sections"),
                "problems": res["problems"],
                "seconds": res["seconds"],
                "screenshot": None if args.no_screenshot else str(args.out),
            },
            indent=2,
        )
    )
    return 1 if res["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
