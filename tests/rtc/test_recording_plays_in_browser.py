"""A recording made by the gateway plays to its end in Chromium's <video> element."""

from pathlib import Path

import pytest

from rtc_gateway.adapters.sqlite.evidence_log import SqliteEvidenceLog
from rtc_gateway.services.video_rooms import VideoRoomService
from tests.rtc.calls import AGENT, CITIZEN, Ended, connect, wait_for

CHROMIUM = Path("/usr/bin/chromium")
PLAYBACK = """() => {
  const v = document.getElementById("v");
  const q = v.getVideoPlaybackQuality();
  return {ended: v.ended, duration: v.duration, width: v.videoWidth,
          frames: q.totalVideoFrames, error: v.error && v.error.message};
}"""


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed")
async def test_webm_recording_plays_in_chromium(
    service: tuple[VideoRoomService, SqliteEvidenceLog, Ended], tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    svc, _, ended = service
    room = await svc.start("conv-play", AGENT)
    agent = await connect(svc, room.room_id, AGENT)
    citizen = await connect(svc, room.room_id, CITIZEN)
    await wait_for(lambda: agent.received.video_frames > 45, 20)
    await svc.leave(room.room_id, AGENT)
    await agent.close()
    await citizen.close()
    recording = next(r for r in ended.events[0].recordings if r["participant"]["role"] == "citizen")
    path = tmp_path / "recordings" / recording["path"]
    (path.parent / "play.html").write_text(
        f'<video id="v" src="{path.name}" muted autoplay></video>'
    )

    async with async_playwright() as driver:
        browser = await driver.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
        )
        try:
            page = await browser.new_page()
            await page.goto((path.parent / "play.html").as_uri())
            await page.wait_for_function(
                "() => document.getElementById('v').ended || document.getElementById('v').error",
                timeout=30_000,
            )
            result = await page.evaluate(PLAYBACK)
        finally:
            await browser.close()
    assert result["error"] is None
    assert result["ended"] and result["width"] == 320
    assert abs(result["duration"] - recording["duration_s"]) <= 0.1 * recording["duration_s"]
    assert result["frames"] >= 40
