"""The notifier: task progress from `vocals.callbacks` and `vocals.archived` to Slack and email, exactly once."""
