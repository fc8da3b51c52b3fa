"""The outbox drain and every notifier (Slack bot and webhook, console, JSONL), digest mode.

The only home of slack_sdk besides ``monitor.feedback.interact``.
"""
