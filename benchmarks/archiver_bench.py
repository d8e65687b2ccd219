"""`python -m benchmarks.archiver_bench`: the archiver's throughput, memory and overlap, with figures.

1. Memory: one 200 MiB file archived in a fresh process; its peak RSS (VmHWM, and ru_maxrss) against
   the same process idle after its imports (target < 150 MB). Run first, while this process is small.
2. Throughput: 200 tracks of 4 MiB archived (download, sha256, store, mutagen, sidecar, SQLite rows) at
   the archiver's default concurrency of 8, against `curl --parallel` copying the same 200 URLs into
   files and against httpx streaming them into files, all from one local origin process. Reports MB/s
   of each and the ratios (target archiver/curl >= 0.5).
3. Overlap: an origin answering each file after 1 s; 16 tracks (audio + cover each) archived; wall time
   against the serial sum, and the origin's peak of requests in flight.
No Kafka here: the handler is driven directly, as the consumer loop would at max_concurrency=8.
The metadata database is a SQLite file unless VOCALS_BENCH_DATABASE_URL names another (e.g. PostgreSQL).
"""

import asyncio
import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx

from schemas.events import CallbackReceived, Stage, TaskArchived, Track, TrackArchived
from services.archiver.app import build
from services.archiver.settings import ArchiverSettings
from services.plumbing.logging import configure_logging
from tests.fixtures.media import COVER_JPEG, write_mp3_of_size

MiB = 1024 * 1024
CONCURRENCY = 8


class Discard:
    async def publish(self, events: Sequence[TrackArchived | TaskArchived]) -> None:
        return None


@contextlib.contextmanager
def origin(directory: Path, delay_s: float = 0.0) -> Iterator[str]:
    command = [sys.executable, "-m", "benchmarks.file_origin", str(directory), str(delay_s)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield f"http://127.0.0.1:{process.stdout.readline().strip()}"
    finally:
        process.terminate()
        process.wait(10)


def origin_stats(base: str) -> dict[str, int]:
    stats: dict[str, int] = httpx.get(f"{base}/stats", timeout=10).json()
    return stats


def settings_in(work: Path, **overrides: object) -> ArchiverSettings:
    import msgspec

    values = {
        "database_url": os.environ.get("VOCALS_BENCH_DATABASE_URL") or f"sqlite+aiosqlite:///{work / 'bench.sqlite3'}",
        "archive_url": f"file://{work / 'archive'}",
        "allowed_hosts": ["127.0.0.1"],
        "download_max_bytes": 256 * MiB,
    }
    return msgspec.convert(values | overrides, ArchiverSettings, strict=False)


def events_for(base: str, tracks: int, *, cover: bool) -> list[CallbackReceived]:
    """Complete callbacks of two tracks each, every URL distinct (a `__n` suffix the origin ignores)."""
    made = [
        Track(
            id=uuid.uuid4().hex,
            audio_url=f"{base}/files/audio.mp3__{n}",
            image_url=f"{base}/files/cover.jpeg__{n}" if cover else None,
            title=f"bench {n}",
        )
        for n in range(tracks)
    ]
    return [
        CallbackReceived(
            event_id=uuid.uuid4().hex,
            task_id=uuid.uuid4().hex,
            stage=Stage.COMPLETE,
            callback_type="complete",
            code=200,
            msg="ok",
            tracks=tuple(made[i : i + 2]),
            received_at=datetime.now(UTC),
        )
        for i in range(0, tracks, 2)
    ]


async def archive(settings: ArchiverSettings, events: list[CallbackReceived]) -> float:
    """Seconds to archive every event, CONCURRENCY events at a time (as the consumer schedules them)."""
    archiver = await build(settings, publisher=Discard())
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(event: CallbackReceived) -> None:
        async with slots:
            await archiver.service.archive(event)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(one(event) for event in events))
        return time.perf_counter() - started
    finally:
        await archiver.aclose()


def curl_copy(base: str, count: int, target: Path) -> float:
    target.mkdir()
    config = target / "urls.curl"
    config.write_text(
        "".join(f'url = "{base}/files/audio.mp3__{n}"\noutput = "{target}/{n}.mp3"\n' for n in range(count))
    )
    started = time.perf_counter()
    subprocess.run(
        [
            "curl",
            "--parallel",
            "--parallel-max",
            str(CONCURRENCY),
            "--silent",
            "--no-progress-meter",
            "--fail",
            "--config",
            str(config),
        ],
        check=True,
    )
    return time.perf_counter() - started


async def httpx_copy(base: str, count: int, target: Path) -> float:
    """The same downloads with httpx alone: streamed into files, nothing else (the Python transport's ceiling)."""
    target.mkdir()
    slots = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=4 * CONCURRENCY)) as client:

        async def one(n: int) -> None:
            async with slots, client.stream("GET", f"{base}/files/audio.mp3__{n}") as response:
                with (target / f"{n}.mp3").open("wb") as out:
                    async for chunk in response.aiter_raw():
                        out.write(chunk)

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(count)))
        return time.perf_counter() - started


def throughput(work: Path, rounds: int = 3) -> None:
    files = work / "origin"
    files.mkdir()
    write_mp3_of_size(files / "audio.mp3", 4 * MiB)
    size = (files / "audio.mp3").stat().st_size
    copies, plain, archives = [], [], []
    with origin(files) as base:
        for round_ in range(rounds):
            copies.append(curl_copy(base, 200, work / f"curl{round_}"))
            plain.append(asyncio.run(httpx_copy(base, 200, work / f"httpx{round_}")))
            (work / f"run{round_}").mkdir()
            archives.append(
                asyncio.run(archive(settings_in(work / f"run{round_}"), events_for(base, 200, cover=False)))
            )
            for leftover in (f"curl{round_}", f"httpx{round_}", f"run{round_}"):
                shutil.rmtree(work / leftover)
    megabytes = 200 * size / 1e6
    print(
        f"2. throughput: 200 tracks x 4 MiB from a local origin, concurrency 8, median of {rounds} alternating rounds"
    )
    for name, seconds in (
        ("plain copy, curl --parallel into files", copies),
        ("plain copy, httpx streamed into files", plain),
        ("archiver: download, sha256, store, mutagen, sidecar, rows", archives),
    ):
        middle = statistics.median(seconds)
        rounds_text = ", ".join(f"{megabytes / s:.0f}" for s in seconds)
        print(f"   {name:58} {middle:5.2f} s {megabytes / middle:6.0f} MB/s  (rounds: {rounds_text})")
    archiver_s = statistics.median(archives)
    print(
        f"   ratio archiver/curl: {statistics.median(copies) / archiver_s:.2f} (target >= 0.5); "
        f"archiver/httpx copy: {statistics.median(plain) / archiver_s:.2f}"
    )


def peak_rss(work: Path) -> None:
    files = work / "big"
    files.mkdir()
    write_mp3_of_size(files / "audio.mp3", 200 * MiB)
    with origin(files) as base:
        measured = subprocess.run(
            [sys.executable, "-m", "benchmarks.archiver_bench", "--rss-child", base, str(work / "rss")],
            capture_output=True,
            text=True,
            check=True,
        )
    idle, peak, maxrss, seconds = (float(v) for v in measured.stdout.split()[-4:])
    print("1. memory: one 200 MiB file archived in a fresh process")
    print(
        f"   peak RSS {peak:.1f} MB (VmHWM; ru_maxrss {maxrss:.1f} MB), of which {idle:.1f} MB is the process after"
        f" its imports; target < 150 MB; took {seconds:.2f} s"
    )


def rss_child(base: str, work: Path) -> None:
    """Prints: VmHWM after imports, VmHWM and ru_maxrss after archiving, and the seconds it took (MB, MB, MB, s).

    VmHWM starts afresh at exec; ru_maxrss is carried over from the parent across fork and exec, so it is
    only meaningful because the parent runs this step before it grows.
    """
    work.mkdir()
    idle = _high_water_mb()
    event = events_for(base, 1, cover=False)
    seconds = asyncio.run(archive(settings_in(work), event))
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stored = (work / "archive" / event[0].task_id / f"{event[0].tracks[0].id}.mp3").stat().st_size
    assert stored >= 199 * MiB, f"only {stored} bytes stored"
    print(f"{idle:.1f} {_high_water_mb():.1f} {maxrss:.1f} {seconds:.2f}")


def _high_water_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def overlap(work: Path) -> None:
    files = work / "slow"
    files.mkdir()
    write_mp3_of_size(files / "audio.mp3", 256 * 1024)
    shutil.copy(COVER_JPEG, files / "cover.jpeg")
    with origin(files, delay_s=1.0) as base:
        seconds = asyncio.run(archive(settings_in(work), events_for(base, 16, cover=True)))
        stats = origin_stats(base)
    print("3. overlap: origin takes 1 s per file; 16 tracks = 32 files (audio then cover per track)")
    print(
        f"   wall time {seconds:.2f} s against {stats['served']:.0f} s if serial; "
        f"peak requests in flight at the origin: {stats['peak']}"
    )


def main(argv: list[str]) -> int:
    configure_logging(level="WARNING", log_format="console")
    if argv[:1] == ["--rss-child"]:
        rss_child(argv[1], Path(argv[2]))
        return 0
    with tempfile.TemporaryDirectory(prefix="archiver-bench-") as temp:
        work = Path(temp)
        for step, part in enumerate((peak_rss, throughput, overlap)):
            (work / str(step)).mkdir()
            part(work / str(step))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
