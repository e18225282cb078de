"""Screenshots of every screen with a real project, for looking at the page (and for docs/).

    .venv/bin/python tests/web/screenshots.py OUT_DIR [--dark]

Starts `vidpipe serve` on local providers in a temporary folder, makes a 3-scene project from
the New video form, and saves projects.png, new.png, new-errors.png, project.png (full page),
project-live.png (while it runs), review.png (the review screen after an edit, full page)
and login.png. Not a test: pytest does not collect it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from playwright.sync_api import sync_playwright  # noqa: E402
from processes import wait_for  # noqa: E402
from web_helpers import CHROMIUM, CHROMIUM_ARGS, TOKEN, serve  # noqa: E402

# every video shows its first frame (not a spinner) before the picture is taken
VIDEOS_READY = "() => [...document.querySelectorAll('video')].every(v => v.readyState >= 2)"


def main(out: Path, dark: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    scheme = "dark" if dark else "light"
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        servers = serve(Path(tmp))
        server = next(servers)
        server.generate("a lighthouse on a stormy coast at dawn", scenes=3)
        server.generate("a red fox crossing a snowy forest", scenes=2)
        context = browser.new_context(
            base_url=server.base, viewport={"width": 1200, "height": 800}, color_scheme=scheme
        )
        page = context.new_page()
        page.goto("/new")
        page.fill("#prompt", "a paper boat drifting down a rainy street, lanterns reflecting")
        page.fill("#scenes", "3")
        page.fill("#clip_duration", "2")
        page.select_option("#resolution", "480p")
        page.wait_for_timeout(400)
        page.screenshot(path=out / "new.png")
        page.click("button[type=submit]")
        page.wait_for_selector("#stepper .step.current")
        page.wait_for_timeout(1500)
        page.screenshot(path=out / "project-live.png")
        page.wait_for_selector("#status-badge.s-complete", timeout=180_000)
        page.wait_for_timeout(800)
        page.screenshot(path=out / "project.png", full_page=True)
        page.click("#review-link")
        page.fill("#s1-direction", "slower, the boat turns toward the lanterns")
        page.click("#redo-1")
        page.wait_for_selector("#scene-1 .takes .take >> nth=1", timeout=180_000)
        page.wait_for_selector("#stepper .step[data-stage=complete].done")
        page.fill("#s2-video_motion_prompt", "the camera glides left, slower, lanterns bobbing")
        page.click("#save-2")
        page.wait_for_selector("#saved-2")
        page.wait_for_load_state("networkidle")
        wait_for(lambda: page.evaluate(VIDEOS_READY), timeout=30, every=0.2)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=out / "review.png", full_page=True)
        page.goto("/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / "projects.png")
        page.goto("/new")
        page.fill("#prompt", "   ")
        page.fill("#crossfade", "5")
        page.click("button[type=submit]")
        page.wait_for_selector("#err-prompt:not([hidden])")
        page.screenshot(path=out / "new-errors.png")
        next(servers, None)
        (Path(tmp) / "locked").mkdir()
        locked = serve(Path(tmp) / "locked", VIDPIPE_API_TOKEN=TOKEN)
        locked_server = next(locked)
        page.goto(f"{locked_server.base}/")
        page.screenshot(path=out / "login.png")
        next(locked, None)
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), "--dark" in sys.argv[2:])
