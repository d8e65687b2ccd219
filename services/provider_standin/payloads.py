"""The JSON the provider sends: callback bodies (snake_case tracks) and record-info replies (camelCase)."""

import json
import re
from datetime import UTC, datetime
from typing import Any

from services.provider_standin.tasks import GeneratedTrack, Task

MODEL_NAMES = {"V4_5PLUS": "chirp-auk", "V5": "chirp-auk-turbo", "V5_5": "chirp-auk-turbo"}
_STAGE_MESSAGES = {
    "text": "Text generation completed successfully.",
    "first": "First audio generated successfully.",
    "complete": "All generated successfully.",
}
_FINISHED_AT_STAGE = {"text": 0, "first": 1, "complete": 2}
_SNAKE = re.compile(r"_([a-z])")


def callback_body(task: Task, stage: str, *, base_url: str) -> dict[str, Any]:
    """The body of one callback: `text`, `first`, `complete`, or `failed` in the scenario's spelling."""
    if stage == "failed":
        failure = task.plan.failure
        assert failure is not None, "a failed callback is only planned for a failing task"
        data: list[Any] | None = None if task.scenario.fail_data == "null" else []
        inner = {"callbackType": task.scenario.fail_type, "task_id": task.task_id, "data": data}
        return {"code": failure.code, "msg": failure.msg, "data": inner}
    finished = _FINISHED_AT_STAGE[stage]
    time_format = task.scenario.time_format or "ms"
    tracks = (
        []
        if stage == "text"
        else [_track(task, t, i < finished, base_url, time_format) for i, t in enumerate(task.tracks)]
    )
    inner = {"callbackType": stage, "task_id": task.task_id, "data": tracks}
    return {"code": 200, "msg": _STAGE_MESSAGES[stage], "data": inner}


def record_info_body(task: Task, *, base_url: str) -> dict[str, Any]:
    """The record-info reply for the task as it stands now (camelCase, `param` a JSON string)."""
    time_format = task.scenario.time_format or "string"
    tracks = None
    if task.finished_tracks > 0:
        tracks = [
            _camel(_track(task, t, i < task.finished_tracks, base_url, time_format)) for i, t in enumerate(task.tracks)
        ]
    data = {
        "taskId": task.task_id,
        "parentMusicId": "",
        "param": json.dumps(task.params, ensure_ascii=False),
        "response": {"taskId": task.task_id, "sunoData": tracks},
        "status": task.status,
        "type": "ADD_VOCALS",
        "operationType": "add_vocals",
        "errorCode": task.error_code,
        "errorMessage": task.error_message,
    }
    return {"code": 200, "msg": "success", "data": data}


def file_links(task: Task, track: GeneratedTrack, base_url: str) -> dict[str, str]:
    base = f"{base_url.rstrip('/')}"
    name = f"{task.task_id}/{track.id}"
    return {
        "audio_url": f"{base}/files/{name}.mp3",
        "source_audio_url": f"{base}/cdn/{name}.mp3",
        "stream_audio_url": f"{base}/stream/{name}",
        "source_stream_audio_url": f"{base}/stream/{name}?source=1",
        "image_url": f"{base}/files/{name}.{track.cover}",
        "source_image_url": f"{base}/cdn/{name}.{track.cover}",
    }


def format_time(epoch_ms: int, time_format: str) -> int | str:
    """createTime in one of the provider's three spellings."""
    if time_format == "ms":
        return epoch_ms
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    if time_format == "string":
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _tracks(task: Task, finished: int, base_url: str, time_format: str) -> list[dict[str, Any]]:
    return [_track(task, track, index < finished, base_url, time_format) for index, track in enumerate(task.tracks)]


def _track(task: Task, track: GeneratedTrack, finished: bool, base_url: str, time_format: str) -> dict[str, Any]:
    links = file_links(task, track, base_url)
    if not finished:
        links.update(audio_url="", source_audio_url="")
    fields: dict[str, Any] = {
        "id": track.id,
        **links,
        "prompt": task.params["prompt"],
        "model_name": MODEL_NAMES.get(str(task.params.get("model")), "chirp-auk"),
        "title": task.params["title"],
        "tags": task.params["style"],
        "createTime": format_time(track.created_ms, time_format),
    }
    if finished:
        fields["duration"] = track.duration
    return fields


def _camel(track: dict[str, Any]) -> dict[str, Any]:
    return {_SNAKE.sub(lambda m: m.group(1).upper(), key): value for key, value in track.items()}
