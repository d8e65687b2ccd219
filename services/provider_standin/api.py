"""The stand-in's HTTP routes: the provider's API, its files, and a window onto each task for tests and demos."""

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from services.provider_standin.files import Served, sample_instrumental, serve_file
from services.provider_standin.metrics import StandinMetrics
from services.provider_standin.provider import StandinProvider
from services.provider_standin.tasks import Task, TaskStore

SCENARIO_HEADER = "x-standin-scenario"


def api_routes(provider: StandinProvider, metrics: StandinMetrics) -> list[HTTPRouteHandler]:
    @post("/api/v1/generate/add-vocals", status_code=200)
    async def add_vocals(request: Request[Any, Any, Any]) -> dict[str, Any]:
        reply = provider.submit(
            await request.body(),
            authorization=request.headers.get("authorization"),
            scenario_header=request.headers.get(SCENARIO_HEADER),
        )
        metrics.submits.labels(str(reply["code"])).inc()
        return reply

    @get("/api/v1/generate/record-info", sync_to_thread=False)
    def record_info(request: Request[Any, Any, Any]) -> dict[str, Any]:
        return provider.record_info(
            request.query_params.get("taskId"), authorization=request.headers.get("authorization")
        )

    @get("/api/v1/generate/credit", sync_to_thread=False)
    def credit(request: Request[Any, Any, Any]) -> dict[str, Any]:
        return provider.credit(authorization=request.headers.get("authorization"))

    return [add_vocals, record_info, credit]


def file_routes(store: TaskStore, metrics: StandinMetrics) -> list[HTTPRouteHandler]:
    def counted(kind: str, served: Served) -> Response[bytes]:
        metrics.files.labels(kind, str(served.status)).inc()
        return Response(served.body, status_code=served.status, media_type=served.content_type)

    @get("/files/{task_id:str}/{name:str}")
    async def files(task_id: FromPath[str], name: FromPath[str]) -> Response[bytes]:
        return counted(_kind(name), await serve_file(store, task_id, name))

    @get("/cdn/{task_id:str}/{name:str}")
    async def cdn(task_id: FromPath[str], name: FromPath[str]) -> Response[bytes]:
        return counted(f"source_{_kind(name)}", await serve_file(store, task_id, name))

    @get("/stream/{task_id:str}/{track_id:str}")
    async def stream(task_id: FromPath[str], track_id: FromPath[str]) -> Response[bytes]:
        return counted("stream", await serve_file(store, task_id, track_id, stream=True))

    @get("/samples/instrumental.mp3")
    async def instrumental() -> Response[bytes]:
        return counted("sample", await sample_instrumental())

    return [files, cdn, stream, instrumental]


def inspection_routes(store: TaskStore) -> list[HTTPRouteHandler]:
    @get("/standin/tasks", sync_to_thread=False)
    def tasks() -> list[dict[str, Any]]:
        return [_summary(task) for task in store.all()]

    @get("/standin/tasks/{task_id:str}", sync_to_thread=False)
    def task(task_id: FromPath[str]) -> dict[str, Any]:
        found = store.get(task_id)
        if found is None:
            raise HTTPException(status_code=404, detail=f"the stand-in has no task {task_id}")
        return _summary(found) | {"attempts": [vars(attempt) for attempt in found.attempts]}

    return [tasks, task]


def provider_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    """Unknown paths and methods answer in the provider's shape, with the HTTP status as the code."""
    return Response({"code": exc.status_code, "msg": exc.detail, "data": None}, status_code=exc.status_code)


def _summary(task: Task) -> dict[str, Any]:
    return {
        "taskId": task.task_id,
        "status": task.status,
        "scenario": list(task.scenario.tokens),
        "finishedTracks": task.finished_tracks,
        "delivered": sorted({a.stage for a in task.attempts if a.outcome == "delivered"}),
    }


def _kind(name: str) -> str:
    return "audio" if name.endswith(".mp3") else "cover"
