"""`python -m benchmarks.file_origin DIR [DELAY_S]`: a static file origin for the archiver benchmark.

Serves DIR's files at /NAME with sendfile (so the origin costs little CPU), optionally waiting DELAY_S
before each answer, and reports the most requests it had in flight at once at /stats. Prints its port.
"""

import asyncio
import sys
from pathlib import Path

from aiohttp import web

TYPES = {".mp3": "audio/mpeg", ".jpeg": "image/jpeg"}


def create_app(directory: Path, delay_s: float) -> web.Application:
    state = {"in_flight": 0, "peak": 0, "served": 0}

    async def serve(request: web.Request) -> web.StreamResponse:
        path = directory / request.match_info["name"].split("__")[0]
        state["in_flight"] += 1
        state["peak"] = max(state["peak"], state["in_flight"])
        try:
            if delay_s:
                await asyncio.sleep(delay_s)
            return web.FileResponse(path, headers={"Content-Type": TYPES.get(path.suffix, "application/octet-stream")})
        finally:
            state["in_flight"] -= 1
            state["served"] += 1

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response(state)

    app = web.Application()
    app.router.add_get("/stats", stats)
    app.router.add_get("/files/{name}", serve)
    return app


async def main(directory: Path, delay_s: float) -> None:
    runner = web.AppRunner(create_app(directory, delay_s), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.0))
