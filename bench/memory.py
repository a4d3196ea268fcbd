"""RSS of the API processes, sampled from /proc while load runs."""

from __future__ import annotations

import contextlib
import threading
import time

from bench.server import Api, rss_kib


class Sampler:
    """Samples the RSS of every API process once a second in a background thread."""

    def __init__(self, api: Api) -> None:
        self.pids = api.api_pids()
        self.samples: dict[int, list[int]] = {pid: [] for pid in self.pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            for pid in self.pids:
                with contextlib.suppress(OSError):
                    self.samples[pid].append(rss_kib(pid))
            self._stop.wait(1.0)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def drift(samples: list[int], settle: int = 5) -> dict[str, float]:
    """Growth from the first settled sample to the mean of the last five (fraction of the first)."""
    usable = samples[settle:] if len(samples) > settle + 5 else samples
    if not usable:
        return {"first_mib": 0.0, "last_mib": 0.0, "max_mib": 0.0, "drift": 0.0}
    first = usable[0]
    tail = usable[-5:]
    last = sum(tail) / len(tail)
    return {
        "first_mib": round(first / 1024, 1),
        "last_mib": round(last / 1024, 1),
        "max_mib": round(max(usable) / 1024, 1),
        "drift": (last - first) / first if first else 0.0,
    }


def summarise(sampler: Sampler, seconds: float) -> dict[str, object]:
    """The process with the largest drift, plus every process's figures."""
    per_process = {str(pid): drift(values) for pid, values in sampler.samples.items()}
    worst = max(per_process.values(), key=lambda d: abs(d["drift"]))
    return {"seconds": seconds, **worst, "processes": per_process, "at": time.time()}
