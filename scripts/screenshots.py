"""Screenshots of the main pages into docs/screenshots/ (shown in the README and docs/web.md).

Usage: ``.venv/bin/python scripts/screenshots.py`` with the usual ``KB_*`` settings (an ingested
store: ``make run`` or ``kb ingest all``). The store is only read; users, a follow and a pending
submission go into a throwaway editorial database.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import httpx

from api.app import create_app
from kb.editorial.accounts import Accounts
from cli.bench.browser import open_chromium
from cli.bench.http import serve_in_thread
from kb.editorial.db import Database
from kb.services import build_services
from kb.settings import load_settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PASSWORD = "screenshot-password"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(db_url=f"sqlite:///{tmp}/editorial.sqlite3", work_dir=Path(tmp))
        db = Database(settings.db_url)
        db.upgrade()
        accounts = Accounts(db, settings)
        for name in ("doctor", "curator", "editor"):
            accounts.create_user(name, PASSWORD, name, actor="screenshots")
        db.close()
        services = build_services(settings, embed=True)
        services.highlighter.tagger  # noqa: B018 - built before the first page, as `kb serve` does
        try:
            with serve_in_thread(create_app(settings, services=services)) as url, open_chromium() as browser:
                shoot(url, browser)
        finally:
            services.close()


def token(url: str, user: str) -> str:
    response = httpx.post(f"{url}/v1/auth/login", json={"username": user, "password": PASSWORD})
    response.raise_for_status()
    return str(response.json()["token"])


def shoot(url: str, browser: Browser) -> None:
    curator = {"Authorization": f"Bearer {token(url, 'curator')}"}
    entry = httpx.get(f"{url}/v1/entries/gene/ERBB2", headers=curator).json()
    data = dict(entry["data"], synonyms_zh=[*entry["data"]["synonyms_zh"], "HER2受体"])
    sub = httpx.post(
        f"{url}/v1/submissions",
        headers=curator,
        json={"kind": "gene", "key": "ERBB2", "data": data, "reason": "医生常用写法"},
    ).json()
    httpx.post(f"{url}/v1/submissions/{sub['id']}/submit", headers={**curator, "If-Match": f'"{sub["version"]}"'})

    def page_for(width: int, height: int, user: str | None = None, lang: str = "zh"):  # type: ignore[no-untyped-def]
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{url}/login")
        page.wait_for_selector("body[data-ready]", state="attached")
        if lang == "en":
            page.click("#lang")
        if user:
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", PASSWORD)
            page.click("form.login button[type=submit]")
            page.wait_for_selector("body[data-ready='/']", state="attached")
        return page

    def snap(page, path: str, name: str, *, full: bool = False) -> None:  # type: ignore[no-untyped-def]
        page.goto(f"{url}{path}")
        page.wait_for_selector(f"body[data-ready='{path.split('?')[0]}']", state="attached")
        page.screenshot(path=str(OUT / f"{name}.png"), full_page=full)
        print(f"docs/screenshots/{name}.png")

    doctor = page_for(1280, 900, "doctor")
    httpx.post(
        f"{url}/v1/follows",
        headers={"Authorization": f"Bearer {token(url, 'doctor')}"},
        json={"kind": "gene", "key": "EGFR"},
    )
    snap(doctor, f"/search?q={quote('EGFR T790M 奥希替尼')}", "search")
    snap(doctor, f"/search?q={quote('NTRK融合')}", "ambiguous")
    snap(doctor, "/gene/EGFR", "gene")
    snap(doctor, "/feed", "feed")
    article = httpx.get(f"{url}/v1/search", params={"q": "EGFR T790M osimertinib"}).json()["articles"][0]["pmid"]
    snap(doctor, f"/article/{article}", "article")
    phone = page_for(375, 812)
    phone.goto(f"{url}/")
    phone.wait_for_selector("body[data-ready='/']", state="attached")
    phone.fill("#q", "HER2阳性乳")
    phone.locator("#q").press_sequentially("腺癌")
    phone.wait_for_selector("#suggest:not([hidden])")
    phone.screenshot(path=str(OUT / "phone-autocomplete.png"))
    print("docs/screenshots/phone-autocomplete.png")
    snap(phone, f"/search?q={quote('HER2阳性乳腺癌')}", "phone-search")
    english = page_for(1280, 900, lang="en")
    snap(english, f"/search?q={quote('BRAF V600E melanoma')}", "search-en")
    editor = page_for(1280, 900, "editor")
    snap(editor, "/editor", "editor-queue")
    snap(editor, f"/editor/review/{sub['id']}", "editor-review")
    snap(editor, "/editor/edit?kind=drug&key=osimertinib", "editor-edit")
    httpx.get(
        f"{url}/v1/search",
        params={"q": f"zz{uuid.uuid4().hex[:6]}"},
        headers={"Authorization": f"Bearer {token(url, 'doctor')}"},
    )
    snap(editor, "/editor/gaps", "editor-gaps")


if __name__ == "__main__":
    main()
