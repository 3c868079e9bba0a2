"""What a webhook receives: one notification (an anomaly found, a daily summary) in Discord's, Slack's or a
plain JSON shape. Built from the saved report only, so every format says the same thing."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from dsm.store.reports import Report

ANOMALY = "anomaly"
DAILY_SUMMARY = "daily_summary"
MAX_LINES = 8  # insights shown in chat formats; the JSON format carries them all
DISCORD_COLORS = {ANOMALY: 0xB91C1C, DAILY_SUMMARY: 0x2563EB}


@dataclass(frozen=True)
class Notice:
    """One notification for one Studio user, from one saved report."""

    event: str  # ANOMALY | DAILY_SUMMARY
    user_id: int
    report: Report

    @property
    def headline(self) -> str:
        if self.event == ANOMALY:
            count = metric(self.report, "anomalies.total") or 0
            return (
                f"DataStore Manager Pro: {count:g} anomal{'y' if count == 1 else 'ies'} found for user {self.user_id}"
            )
        return f"DataStore Manager Pro: daily summary for user {self.user_id}"


def metric(report: Report, name: str) -> Any:
    for row in report.body.get("metrics") or []:
        if isinstance(row, dict) and row.get("name") == name:
            return row.get("value")
    return None


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _insights(report: Report) -> list[str]:
    return [str(line) for line in report.body.get("insights") or []]


def discord(notice: Notice) -> dict[str, Any]:
    report = notice.report
    embed = {
        "title": report.title,
        "description": "\n".join(f"• {line}" for line in _insights(report)[:MAX_LINES]) or "Nothing to report.",
        "color": DISCORD_COLORS[notice.event],
        "timestamp": _iso(report.created_at),
        "footer": {"text": f"{report.type} · {report.id}"},
    }
    return {"content": notice.headline, "embeds": [embed], "allowed_mentions": {"parse": []}}


def slack(notice: Notice) -> dict[str, Any]:
    report = notice.report
    lines = "\n".join(f"• {line}" for line in _insights(report)[:MAX_LINES]) or "Nothing to report."
    return {
        "text": notice.headline,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": report.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": lines}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{report.type} · `{report.id}`"}]},
        ],
    }


def plain(notice: Notice) -> dict[str, Any]:
    report = notice.report
    return {
        "event": notice.event,
        "user": notice.user_id,
        "summary": notice.headline,
        "report": report.header(),
        "insights": _insights(report),
        "metrics": {row["name"]: row.get("value") for row in report.body.get("metrics") or [] if "name" in row},
    }


FORMATS = {"discord": discord, "slack": slack, "json": plain}


def payload(notice: Notice, fmt: str) -> dict[str, Any]:
    return FORMATS[fmt](notice)
