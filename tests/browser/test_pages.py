"""What the gateway serves for the pages, and the location-based choice of force."""

from __future__ import annotations

import hashlib
import re
import urllib.request
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import Pages
from tests.browser.steps import go_available, open_pane, pane_messages, start_chat

DEMO = Path(__file__).parents[2] / "src" / "rtc_gateway" / "static" / "demo"
INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    re.compile(r"<style\b", re.IGNORECASE),
    re.compile(r"\sstyle\s*=", re.IGNORECASE),
    re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    re.compile(r"(?:src|href)\s*=\s*\"(?:https?:)?//", re.IGNORECASE),
]


def fetch(url: str) -> tuple[dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return dict(response.headers), response.read()


def test_pages_have_no_inline_code_and_a_strict_policy(pages: Pages) -> None:
    for path in ("/demo/", "/demo/citizen.html", "/demo/agent.html"):
        headers, body = fetch(pages.gateway.url + path)
        policy = headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy, (path, policy)
        assert "unsafe-inline" not in policy
        html = body.decode()
        for pattern in INLINE:
            assert not pattern.search(html), (path, pattern.pattern)


def test_vendored_client_is_served_unchanged(pages: Pages) -> None:
    _, served = fetch(f"{pages.gateway.url}/demo/vendor/socket.io.min.js")
    readme = (DEMO / "vendor" / "README.md").read_text()
    assert hashlib.sha256(served).hexdigest() in readme
    assert served.startswith(b"/*!\n * Socket.IO v4.8.4")


def test_find_for_me_uses_the_browser_location(pages: Pages) -> None:
    agent = pages.agent("agent-henry", "Brigadier Henry", "police")
    go_available(agent)
    citizen = pages.citizen()
    start_chat(citizen, "Où dois-je m'adresser ?", service="auto")
    expect(citizen.locator("#chat-status")).to_contain_text("Brigadier Henry")
    expect(pane_messages(agent).locator(".msg__text")).to_have_text(["Où dois-je m'adresser ?"])
    place = open_pane(agent).locator(".pane__place")
    expect(place).to_contain_text("Paris et petite couronne")
    expect(place.locator("a")).to_have_attribute(
        "href", "https://www.openstreetmap.org/?mlat=48.85660&mlon=2.35220#map=16/48.85660/2.35220")


CHAT_LOG_SCRIPT = """
async () => {
  const { ChatLog } = await import('/demo/js/chat-log.js');
  const list = document.createElement('ol');
  const log = new ChatLog(list, 'citizen', { citizen: 'Vous', agent: 'Agent', system: '' });
  const msg = (seq, sender, text, client_msg_id) =>
    ({ conversation_id: 'c', seq, sender, text, client_msg_id,
       sent_at: '2026-11-30T01:00:00.000Z' });
  const steps = [];
  log.addPending('m-1', 'en attente');
  steps.push(log.add(msg(3, 'agent', 'trois')));
  steps.push(log.hasGap(), log.lastSeq);
  steps.push(log.add(msg(1, 'citizen', 'un')));
  steps.push(log.add(msg(2, 'agent', 'deux')));
  steps.push(log.add(msg(2, 'agent', 'deux encore')));
  steps.push(log.hasGap(), log.lastSeq);
  steps.push(log.add(msg(4, 'citizen', 'en attente', 'm-1')));
  log.markRead(1);
  const order = [...list.children]
    .map(li => [li.dataset.seq ?? null, li.querySelector('.msg__text').textContent]);
  const marks = [...list.querySelectorAll('.msg__mark')].map(m => m.dataset.mark);
  return { steps, order, marks, pending: log.pendingMessages().length };
}
"""


def test_chat_log_orders_by_seq_and_shows_each_once(pages: Pages) -> None:
    page = pages.context().new_page()
    page.goto(f"{pages.gateway.url}/demo/")
    result = page.evaluate(CHAT_LOG_SCRIPT)
    assert result["steps"] == [True, True, 0, True, True, False, False, 3, True]
    assert result["order"] == [["1", "un"], ["2", "deux"], ["3", "trois"], ["4", "en attente"]]
    assert result["marks"] == ["read", "recorded"]
    assert result["pending"] == 0
