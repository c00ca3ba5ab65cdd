"""The name model (jieba's part-of-speech dictionary) loads in the background once per process when a page
that masks case lists starts, and masking meanwhile waits for it and masks as before."""

from __future__ import annotations

import threading

from analytics import privacy_names
from analytics.privacy import mask_text


def test_preload_starts_one_background_load_and_masking_waits_for_it():
    thread = privacy_names.preload()
    assert isinstance(thread, threading.Thread) and thread.daemon
    assert privacy_names.preload() is thread  # once per process
    masked = mask_text("市民王秀英来电反映楼上漏水")  # may run while the model still loads: waits under the lock
    assert "王秀英" not in masked and "来电反映楼上漏水" in masked
    thread.join(120)
    assert not thread.is_alive()
    assert privacy_names._posseg.cache_info().currsize == 1  # the model is loaded


def test_wait_preloaded_waits_for_a_started_load_and_starts_none():
    privacy_names.preload.cache_clear()  # as in a process where no page asked for the model
    privacy_names.wait_preloaded()
    assert privacy_names.preload.cache_info().currsize == 0  # waiting started no load
    thread = privacy_names.preload()
    privacy_names.wait_preloaded()
    assert not thread.is_alive()
    assert privacy_names._posseg.cache_info().currsize == 1
