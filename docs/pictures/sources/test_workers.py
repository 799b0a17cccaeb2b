"""Two threads resize images from a queue; one image is never resized. The story shows why."""

from __future__ import annotations

import queue
import threading

from chrono import tp


def resize(jobs: queue.Queue[int | None], results: list[int]) -> None:
    while True:
        size = jobs.get()
        if size is None:
            tp("stopping")
            return
        results.append(tp(size // 2))


def resize_all(sizes: list[int]) -> list[int]:
    jobs: queue.Queue[int | None] = queue.Queue()
    results: list[int] = []
    threads = [
        threading.Thread(target=resize, args=(jobs, results), name=f"resizer-{n}") for n in (1, 2)
    ]
    for thread in threads:
        thread.start()
    for size in sizes[:-1]:
        jobs.put(tp(size))
    tp("telling the workers to stop")
    for _ in threads:
        jobs.put(None)
    jobs.put(tp(sizes[-1]))  # the bug: queued after the workers were told to stop
    for thread in threads:
        thread.join()
    return sorted(results)


def test_every_image_is_resized() -> None:
    assert resize_all([800, 1200, 640]) == [320, 400, 600]
