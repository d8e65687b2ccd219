"""The `vocals` command: `submit` an Add Vocals task, read its `status`, read the account's `credits`.

Exit codes: 0 done; 1 the provider refused or could not be reached; 2 invalid parameters or settings.
The task id goes to stdout alone (for scripts); everything else goes to stderr.
"""

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping, Sequence
from urllib.parse import quote

from services.cli.announce import announce, submitted_event
from services.cli.render import status_lines
from services.cli.settings import CliSettings
from services.plumbing.settings import SettingsError, load
from services.provider_client import (
    AddVocalsRequest,
    InvalidRequest,
    Limits,
    ProviderClient,
    ProviderError,
    ProviderUnavailable,
    check,
)
from services.provider_client.request import MODELS

CALLBACK_PATH = "/callbacks/vocals"
SCENARIO_HEADER = "X-Standin-Scenario"


class UsageError(Exception):
    """The command cannot run as given; the message says what to set or pass."""


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load(CliSettings, environ, service="cli")
        code: int = asyncio.run(args.run(settings, args))
        return code
    except (SettingsError, UsageError) as exc:
        _say(f"vocals: {exc}")
        return 2
    except InvalidRequest as exc:
        _say("vocals: not sent, the provider would refuse it:", *(f"  - {p}" for p in exc.problems))
        return 2
    except (ProviderError, ProviderUnavailable) as exc:
        _say(f"vocals: {exc}")
        return 1


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="vocals", description="Submit Add Vocals tasks and follow them.")
    commands = root.add_subparsers(required=True, metavar="COMMAND")
    submit = commands.add_parser("submit", help="submit a task; prints its task id")
    submit.set_defaults(run=_submit)
    submit.add_argument("--upload-url", required=True, help="public URL of the instrumental")
    submit.add_argument("--prompt", required=True, help="what the vocals sing or how (may hold lyrics)")
    submit.add_argument("--title", required=True)
    submit.add_argument("--style", required=True, help="music and vocal style, e.g. 'Jazz'")
    submit.add_argument("--negative-tags", default="", help="styles to avoid")
    submit.add_argument("--vocal-gender", help="m or f")
    submit.add_argument("--style-weight", type=float, help="0..1 in steps of 0.01")
    submit.add_argument("--weirdness-constraint", type=float, help="0..1 in steps of 0.01")
    submit.add_argument("--audio-weight", type=float, help="0..1 in steps of 0.01")
    submit.add_argument("--model", default="V4_5PLUS", help=f"one of {', '.join(MODELS)}")
    submit.add_argument("--callback-url", help="override the callBackUrl built from VOCALS_RECEIVER_URL")
    submit.add_argument("--scenario", help="the provider stand-in's scenario knobs (ignored by the real one)")
    submit.add_argument("--no-watch", action="store_true", help="do not tell the reconciler about the task")
    status = commands.add_parser("status", help="the task's status and tracks, from record-info")
    status.set_defaults(run=_status)
    status.add_argument("task_id")
    status.add_argument("--json", action="store_true", help="print the provider's record as JSON")
    credits = commands.add_parser("credits", help="the account's remaining credits")
    credits.set_defaults(run=_credits)
    return root


def callback_url(settings: CliSettings) -> str:
    """The receiver's callback endpoint with its first token: what the provider will call back."""
    if not settings.callback_tokens:
        raise UsageError(
            "VOCALS_CALLBACK_TOKENS is not set: the callback URL needs the receiver's token "
            "(with `make dev` it is in .cache/dev-token), or pass --callback-url"
        )
    return f"{settings.receiver_url.rstrip('/')}{CALLBACK_PATH}?token={quote(settings.callback_tokens[0], safe='')}"


def request_from(args: argparse.Namespace, settings: CliSettings) -> AddVocalsRequest:
    """The request the arguments describe, checked against what the provider accepts."""
    request = AddVocalsRequest(
        upload_url=args.upload_url,
        prompt=args.prompt,
        title=args.title,
        style=args.style,
        negative_tags=args.negative_tags,
        call_back_url=args.callback_url or callback_url(settings),
        vocal_gender=args.vocal_gender,
        style_weight=args.style_weight,
        weirdness_constraint=args.weirdness_constraint,
        audio_weight=args.audio_weight,
        model=args.model,
    )
    check(request, Limits(title_max_chars=settings.title_max_chars))
    return request


async def _submit(settings: CliSettings, args: argparse.Namespace) -> int:
    request = request_from(args, settings)
    headers = {SCENARIO_HEADER: args.scenario} if args.scenario else None
    async with _client(settings) as client:
        task_id = await client.submit(request, headers=headers)
    print(task_id)
    _say(f"submitted task {task_id}; callbacks go to {request.call_back_url.split('?')[0]}")
    if not args.no_watch:
        try:
            await announce(settings, submitted_event(task_id, title=request.title, model=request.model))
        except Exception as exc:  # the task exists either way: say so instead of failing the command
            _say(
                f"vocals: warning: the reconciler was not told about {task_id} ({type(exc).__name__}: {exc}); "
                f"it still learns of the task from its callbacks. Check VOCALS_KAFKA_BOOTSTRAP."
            )
    return 0


async def _status(settings: CliSettings, args: argparse.Namespace) -> int:
    async with _client(settings) as client:
        reply = await client.record_info(args.task_id)
    if args.json:
        print(json.dumps(reply.document, indent=2, ensure_ascii=False))
    else:
        print("\n".join(status_lines(reply)))
    return 0


async def _credits(settings: CliSettings, _: argparse.Namespace) -> int:
    async with _client(settings) as client:
        print(await client.credits())
    return 0


def _client(settings: CliSettings) -> ProviderClient:
    if not settings.provider_api_key:
        raise UsageError("VOCALS_PROVIDER_API_KEY is not set: the provider needs your API key")
    return ProviderClient(
        settings.provider_base_url, settings.provider_api_key, timeout=settings.provider_timeout_seconds
    )


def _say(*lines: str) -> None:
    print("\n".join(lines), file=sys.stderr)
