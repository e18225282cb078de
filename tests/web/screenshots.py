"""Screenshots of every screen with a real project, for looking at the page and for the README.

    .venv/bin/python tests/web/screenshots.py docs --readme   # the README's pictures, anew
    .venv/bin/python tests/web/screenshots.py OUT_DIR [--dark]  # every screen

Starts `vidpipe serve` on local providers in a temporary folder, makes a 3-scene project from
the New video form, redoes scene 1's clip twice with a direction (three takes to compare) and
edits scene 2, then saves, at 1366x900: web-projects.png, web-new.png, web-new-errors.png,
web-project.png (and web-project-full.png, the full page), web-project-live.png (while it
runs), web-review.png (the timeline, scene 1's editor and its takes side by side),
web-review-full.png (full page) and web-login.png; at 390x844 (a phone): web-projects-phone.png,
web-project-phone.png and web-review-phone.png. With --readme it keeps only the four the README
shows (README below). Not a test: pytest does not collect it.
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

# every video in view shows a frame (not a spinner) before the picture is taken; a hidden
# scene's players load nothing until that scene is opened
VIDEOS_READY = (
    "() => [...document.querySelectorAll('video')]"
    ".filter(v => v.checkVisibility()).every(v => v.readyState >= 2)"
)
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
README = ("web-review.png", "web-review-phone.png", "web-project.png", "web-projects.png")
REDOS = ("slower, the boat turns toward the lanterns", "faster, rain on the water")


def main(out: Path, dark: bool, readme: bool = False) -> None:
    out.mkdir(parents=True, exist_ok=True)
    scheme = "dark" if dark else "light"
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        servers = serve(Path(tmp))
        server = next(servers)
        server.generate("a lighthouse on a stormy coast at dawn", scenes=3)
        fox = server.generate("a red fox crossing a snowy forest", scenes=2)
        with server.client() as client:  # a fork, marked "fork of" in the list
            assert client.post(f"/api/projects/{fox}/fork", json={}).status_code == 202
        context = browser.new_context(base_url=server.base, viewport=DESKTOP, color_scheme=scheme)
        page = context.new_page()
        page.goto("/new")
        page.fill("#prompt", "a paper boat drifting down a rainy street, lanterns reflecting")
        page.fill("#scenes", "3")
        page.fill("#clip_duration", "2")
        page.select_option("#resolution", "480p")
        page.wait_for_timeout(400)
        page.screenshot(path=out / "web-new.png")
        page.click("#generate-button")
        page.wait_for_selector("#stepper .step.current")
        page.wait_for_timeout(1500)
        page.screenshot(path=out / "web-project-live.png")
        page.wait_for_selector("#status-badge.s-complete", timeout=180_000)
        page.wait_for_timeout(800)
        page.screenshot(path=out / "web-project.png")
        page.screenshot(path=out / "web-project-full.png", full_page=True)
        project = page.url.rstrip("/").rsplit("/", 1)[-1]
        page.click("#review-link")
        for take, direction in enumerate(REDOS, start=2):
            page.fill("#s1-direction", direction)
            page.click("#redo-1")
            page.wait_for_selector(f"#take-1-{take}", timeout=180_000)
            page.wait_for_selector("#stepper .step[data-stage=complete].done")
            page.wait_for_selector("#live:not([data-events])", timeout=60_000)
        page.goto(f"/projects/{project}/review?scene=2")
        page.fill("#s2-video_motion_prompt", "the camera glides left, slower, lanterns bobbing")
        page.click("#save-2")
        page.wait_for_selector("#saved-2")
        page.click("#card-1")
        page.wait_for_load_state("networkidle")
        wait_for(lambda: page.evaluate(VIDEOS_READY), timeout=30, every=0.2)
        page.locator("#scrub-1").evaluate(
            "r => { r.value = '1.2'; r.dispatchEvent(new Event('input', { bubbles: true })); }"
        )
        page.wait_for_timeout(500)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=out / "web-review.png")
        page.screenshot(path=out / "web-review-full.png", full_page=True)

        phone = browser.new_context(base_url=server.base, viewport=PHONE, color_scheme=scheme)
        small = phone.new_page()
        for path, name in (("/", "projects"), (f"/projects/{project}", "project")):
            small.goto(path)
            small.wait_for_load_state("networkidle")
            small.screenshot(path=out / f"web-{name}-phone.png")
        small.goto(f"/projects/{project}/review?scene=1")
        small.wait_for_load_state("networkidle")
        wait_for(lambda: small.evaluate(VIDEOS_READY), timeout=30, every=0.2)
        small.screenshot(path=out / "web-review-phone.png")
        phone.close()

        page.goto("/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / "web-projects.png")
        page.goto("/new")
        page.fill("#prompt", "   ")
        page.fill("#crossfade", "5")
        page.click("button[type=submit]")
        page.wait_for_selector("#err-prompt:not([hidden])")
        page.screenshot(path=out / "web-new-errors.png")
        next(servers, None)
        (Path(tmp) / "locked").mkdir()
        locked = serve(Path(tmp) / "locked", VIDPIPE_API_TOKEN=TOKEN)
        locked_server = next(locked)
        page.goto(f"{locked_server.base}/")
        page.screenshot(path=out / "web-login.png")
        next(locked, None)
        browser.close()
    for picture in out.glob("web-*.png"):
        shrink(picture)
    if readme:  # the other screens were made along the way; the README shows these
        for picture in out.glob("web-*.png"):
            if picture.name not in README:
                picture.unlink()


def shrink(path: Path) -> None:
    """A 256-colour palette: a quarter of the bytes for a screen of flat colours (the README's
    pictures live in git)."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), "--dark" in sys.argv[2:], "--readme" in sys.argv[2:])
