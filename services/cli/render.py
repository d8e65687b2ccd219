"""`vocals status` in words: the task's status, its error explained, and each track's links."""

from typing import Any

from schemas.polling import FINAL_STATUSES, RecordInfoReply
from services.provider_client import describe_code

_STATUS_WORDS = {
    "PENDING": "waiting to start",
    "TEXT_SUCCESS": "lyrics ready, audio being generated",
    "FIRST_SUCCESS": "first track ready, the second being generated",
    "SUCCESS": "both tracks ready",
    "CREATE_TASK_FAILED": "the task could not be created",
    "GENERATE_AUDIO_FAILED": "the audio could not be generated",
    "CALLBACK_EXCEPTION": "the provider failed to call back",
    "SENSITIVE_WORD_ERROR": "refused: the prompt or lyrics contain words the provider filters",
}


def status_lines(reply: RecordInfoReply) -> list[str]:
    info = reply.info
    if info is None:
        return ["the provider returned no record for this task"]
    final = "final" if info.status in FINAL_STATUSES else "not final yet"
    words = _STATUS_WORDS.get(info.status, "a status this tool does not know")
    lines = [f"task {info.taskId}: {info.status} ({words}; {final})"]
    if info.errorCode is not None:
        lines.append(f"  error {info.errorCode}: {describe_code(info.errorCode)} ({info.errorMessage or 'no message'})")
    for track in _tracks(reply.document):
        duration = f"{track['duration']:.2f} s" if isinstance(track.get("duration"), int | float) else "unfinished"
        lines.append(f"  track {track.get('id')}: {duration}, {track.get('title') or 'untitled'}")
        for name in ("audioUrl", "streamAudioUrl", "imageUrl"):
            if track.get(name):
                lines.append(f"    {name}: {track[name]}")
    return lines


def _tracks(document: dict[str, Any]) -> list[dict[str, Any]]:
    response = document.get("response")
    tracks = response.get("sunoData") if isinstance(response, dict) else None
    return [track for track in tracks or [] if isinstance(track, dict)]
