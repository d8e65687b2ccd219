"""The provider's API without HTTP: submit, record-info and credit, answered as the provider answers them.

Every reply is `{"code", "msg", "data"}` and carries its outcome in `code`; checks run in the order the
provider's gateway would: maintenance, key, rate limit, parameters, credits.
"""

import hmac
import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import structlog

from services.provider_standin.limits import SlidingWindow
from services.provider_standin.payloads import record_info_body
from services.provider_standin.plan import Delays, plan
from services.provider_standin.scenario import Scenario, ScenarioError, drawn, parse, scenario_text
from services.provider_standin.settings import StandinSettings
from services.provider_standin.tasks import Task, TaskStore, new_task, track_durations
from services.provider_standin.validation import ApiError, Limits, validate

log = structlog.get_logger("standin")
Reply = dict[str, Any]
_MAINTENANCE = ApiError(455, "The system is under maintenance, please try again later.")
_UNAUTHORIZED = ApiError(401, "Unauthorized: the API key is missing or invalid.")


class StandinProvider:
    def __init__(
        self, settings: StandinSettings, *, store: TaskStore, start: Callable[[Task], None], rng: random.Random
    ) -> None:
        self._settings = settings
        self._store = store
        self._start = start
        self._rng = rng
        self._submits = SlidingWindow(settings.standin_submit_limit, settings.standin_submit_window_seconds)
        self._polls = SlidingWindow(settings.standin_record_info_per_second, 1.0)
        self._credits = dict.fromkeys(settings.standin_api_keys, settings.standin_credits)
        self.delays = Delays(
            settings.standin_text_delay_seconds,
            settings.standin_first_delay_seconds,
            settings.standin_complete_delay_seconds,
        )

    def submit(self, body: bytes, *, authorization: str | None, scenario_header: str | None) -> Reply:
        """Create a task and start it, or answer the code that refuses it."""
        try:
            key = self._gate(authorization)
            if not self._submits.allow(key):
                limit, window = self._settings.standin_submit_limit, self._settings.standin_submit_window_seconds
                raise ApiError(405, f"Rate limited: at most {limit} submissions every {window:g} seconds.")
            params = validate(body, self._limits())
            scenario = self._scenario(scenario_header, params["prompt"])
            self._charge(key, scenario)
        except ApiError as refused:
            log.info("submit refused", code=refused.code, detail=refused.msg)
            return refused.reply()
        task = new_task(params, scenario, plan(scenario, self.delays), durations=self._durations(scenario))
        self._store.add(task)
        self._start(task)
        log.info("task submitted", task_id=task.task_id, scenario=" ".join(scenario.tokens) or "none")
        return {"code": 200, "msg": "success", "data": {"taskId": task.task_id}}

    def record_info(self, task_id: str | None, *, authorization: str | None) -> Reply:
        try:
            self._gate(authorization)
            if not task_id:
                raise ApiError(400, "taskId is required.")
            task = self._store.get(task_id)
            if task is None:
                raise ApiError(400, f"No task with taskId {task_id}.")
            if not self._polls.allow(task_id):
                per_second = self._settings.standin_record_info_per_second
                raise ApiError(430, f"Calling too often: at most {per_second} requests per task per second.")
        except ApiError as refused:
            return refused.reply()
        return record_info_body(task, base_url=self._settings.standin_public_url)

    def credit(self, *, authorization: str | None) -> Reply:
        try:
            key = self._gate(authorization)
        except ApiError as refused:
            return refused.reply()
        return {"code": 200, "msg": "success", "data": self._credits[key]}

    def _gate(self, authorization: str | None) -> str:
        """The caller's key once maintenance and authentication are passed."""
        if self._settings.standin_maintenance:
            raise _MAINTENANCE
        scheme, _, given = (authorization or "").partition(" ")
        matched = None
        for key in self._settings.standin_api_keys:
            if hmac.compare_digest(given.strip().encode(), key.encode()):
                matched = key
        if scheme.lower() != "bearer" or matched is None:
            raise _UNAUTHORIZED
        return matched

    def _scenario(self, header: str | None, prompt: str) -> Scenario:
        scenario = self._named(header, prompt)
        expiry = self._settings.standin_link_expiry_seconds
        if scenario.expire_after is None and expiry > 0:
            return replace(scenario, expire_after=expiry)
        return scenario

    def _named(self, header: str | None, prompt: str) -> Scenario:
        text = scenario_text(header, prompt)
        if text is None:
            return self._drawn()
        try:
            scenario = parse(text)
        except ScenarioError as exc:
            raise ApiError(400, f"X-Standin-Scenario: {exc}") from None
        if scenario.sign and not self._settings.standin_signing_key:
            raise ApiError(400, "X-Standin-Scenario: `sign` needs VOCALS_STANDIN_SIGNING_KEY set on the stand-in.")
        if scenario.reject is not None:
            raise ApiError(scenario.reject, f"Refused on purpose (scenario reject={scenario.reject}).")
        return scenario

    def _drawn(self) -> Scenario:
        s = self._settings
        return drawn(
            self._rng,
            duplicate=s.standin_duplicate_rate,
            reorder=s.standin_reorder_rate,
            skip=s.standin_skip_rate,
            failure=s.standin_failure_rate,
            outage=s.standin_outage_rate,
            outage_seconds=s.standin_outage_seconds,
        )

    def _charge(self, key: str, scenario: Scenario) -> None:
        cost = self._settings.standin_credits_per_task
        if self._credits[key] < cost:
            raise ApiError(429, "Insufficient credits: top up the account to create more tasks.")
        self._credits[key] -= cost

    def _durations(self, scenario: Scenario) -> tuple[float, float]:
        s = self._settings
        return track_durations(self._rng, scenario, s.standin_track_min_seconds, s.standin_track_max_seconds)

    def _limits(self) -> Limits:
        s = self._settings
        return Limits(
            title_max_chars=s.standin_title_max_chars,
            prompt_max_chars=s.standin_prompt_max_chars,
            style_max_chars=s.standin_style_max_chars,
        )

    def signs(self, task: Task) -> bool:
        """Whether the task's callbacks carry an HMAC signature."""
        return bool(self._settings.standin_signing_key) and (task.scenario.sign or self._settings.standin_sign_all)
