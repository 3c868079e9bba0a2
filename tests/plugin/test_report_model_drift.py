"""The plugin's report model (features/analytics/ReportModel.luau) names the fixed columns of the `operations` and
`errors` section kinds as the companion's model does (dsm/reports/model.py), so both renderers label and format
them alike; this fails when the two drift apart."""

from __future__ import annotations

from studio_bed import PLUGIN_SRC, StudioBed

from dsm.reports import model


def test_the_plugins_fixed_columns_are_the_companions() -> None:
    with StudioBed(PLUGIN_SRC) as bed:
        operations, errors, percentiles, optional = bed.eval(
            "local M = require(Plugin.features.analytics.ReportModel) "
            "local o = {} for k in M.OPERATION_OPTIONAL do table.insert(o, k) end "
            "for k in M.ERROR_OPTIONAL do table.insert(o, k) end table.sort(o) "
            "return M.OPERATION_COLUMNS, M.ERROR_COLUMNS, M.PERCENTILE_FIELDS, o"
        )
    assert operations == [dict(c) for c in model.OPERATION_COLUMNS]
    assert errors == [dict(c) for c in model.ERROR_COLUMNS]
    assert percentiles == list(model.PERCENTILE_FIELDS)
    assert optional == sorted(model.OPERATION_OPTIONAL | model.ERROR_OPTIONAL)
