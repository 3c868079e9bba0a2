"""Every op the link serves, by name. Each module owns the ops of one store."""

from __future__ import annotations

from dsm.link.context import Handler
from dsm.link.ops import (
    analytics,
    backups,
    cache,
    data,
    edits,
    events,
    history,
    report_generate,
    reports,
    settings,
    status,
)

OPS: dict[str, Handler] = {
    **events.OPS,
    **cache.OPS,
    **settings.OPS,
    **reports.OPS,
    **report_generate.OPS,
    **analytics.OPS,
    **history.OPS,
    **data.OPS,
    **status.OPS,
    **edits.OPS,
    **backups.OPS,
}
