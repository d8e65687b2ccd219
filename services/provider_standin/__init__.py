"""A local stand-in for the Add Vocals provider: its API, its callbacks (and their bad days), its files.

`python -m services.provider_standin` serves it on 127.0.0.1:8090. Scenario knobs per task come in the
submit request's `X-Standin-Scenario` header or a `[standin: ...]` marker in the prompt (see scenario.py);
rates in the settings apply them at random to tasks that name none.
"""
