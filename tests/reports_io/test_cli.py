"""`dsm report generate|list|show`, `dsm export`, `dsm import` on a database file, in-process and as a subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rio_support import DAY0, seed, table, wire_events

from dsm.cli import main
from dsm.store import portable


def _ids(out: str) -> list[str]:
    return [line.split("\t")[0] for line in out.splitlines() if line.strip()]


def test_generate_list_and_show_in_each_format(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(db_path, 21, wire_events(DAY0, 80))
    assert main(["report", "generate", "DAILY_SUMMARY", "--from", "2026-11-23", "--to", "2026-11-23",
                 "--db", str(db_path)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    report_id, report_type, title = out.strip().split("\t")
    assert report_type == "DAILY_SUMMARY" and "2026-11-23" in title
    assert main(["report", "generate", "CUSTOM_ANALYSIS", "--option", "analysis=key_pattern_analysis",
                 "--option", "parameters.pattern=player_", "--user", "21", "--db", str(db_path)]) == 0  # fmt: skip
    custom_id = _ids(capsys.readouterr().out)[0]

    assert main(["report", "list", "--db", str(db_path)]) == 0
    assert _ids(capsys.readouterr().out) == [custom_id, report_id]  # newest first
    assert main(["report", "list", "--type", "DAILY_SUMMARY", "--db", str(db_path)]) == 0
    assert _ids(capsys.readouterr().out) == [report_id]

    assert main(["report", "show", report_id, "--format", "json", "--db", str(db_path)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["id"] == report_id and shown["body"]["period"] == {"from": DAY0, "to": DAY0 + 86400}
    total = next(m for m in shown["body"]["metrics"] if m["name"] == "events.total")
    assert total["value"] == 80

    out_csv = tmp_path / "out" / "report.csv"
    assert main(["report", "show", report_id, "--format", "csv", "-o", str(out_csv), "--db", str(db_path)]) == 0
    rows = list(csv.reader(io.StringIO(out_csv.read_text(encoding="utf-8"), newline="")))
    assert len([r for r in rows[1:] if r and r[0] != "table"]) >= len(shown["body"]["metrics"])
    assert out_csv.read_bytes().count(b"\r\n") >= len(shown["body"]["metrics"]) + 1  # CRLF kept in the file

    out_html = tmp_path / "report.html"
    assert main(["report", "show", report_id, "--format", "html", "-o", str(out_html), "--db", str(db_path)]) == 0
    assert out_html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_errors_are_reported_with_an_exit_status(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "list", "--db", str(db_path)]) == 2
    empty = capsys.readouterr().err
    assert "no data yet" in empty and "`dsm demo`" in empty and "`dsm plugin install`" in empty
    seed(db_path, 21, wire_events(DAY0, 4))
    seed(db_path, 22, wire_events(DAY0, 4))
    assert main(["report", "list", "--db", str(db_path)]) == 2
    assert "several Studio users have data (21, 22): pick one with --user ID" in capsys.readouterr().err
    assert main(["report", "show", "rpt_missing", "--user", "21", "--db", str(db_path)]) == 1
    assert main(["report", "generate", "DAILY_SUMMARY", "--from", "2026-11-24", "--to", "2026-11-23",
                 "--user", "21", "--db", str(db_path)]) == 2  # fmt: skip
    assert "options.to" in capsys.readouterr().err
    assert main(["report", "generate", "DAILY_SUMMARY", "--from", "last tuesday", "--user", "21",
                 "--db", str(db_path)]) == 2  # fmt: skip
    assert "expected Unix seconds, YYYY-MM-DD" in capsys.readouterr().err


def test_export_then_import_moves_a_user_to_another_machine(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(db_path, 21, wire_events(DAY0, 150))
    assert main(["report", "generate", "USAGE_ANALYTICS", "--db", str(db_path)]) == 0
    backup = tmp_path / "backup.dsm.json.gz"
    assert main(["export", "-o", str(backup), "--db", str(db_path)]) == 0
    captured = capsys.readouterr()
    assert "exported 151 rows of user 21" in captured.out  # 150 events and the report
    document = portable.read_file(backup)
    assert document["counts"]["events"] == 150 and document["counts"]["reports"] == 1

    other = tmp_path / "other-machine.sqlite3"
    assert main(["import", str(backup), "--db", str(other)]) == 0  # empty database: the file's user
    captured = capsys.readouterr()
    assert "imported into user 21" in captured.out and "import" in captured.err  # progress on stderr
    assert table(other, "SELECT COUNT(*) FROM events WHERE user_id = 21")[0][0] == 150
    assert main(["import", str(backup), "--db", str(other)]) == 0
    assert "0 new" in capsys.readouterr().out
    assert main(["import", str(backup), "--user", "99", "--db", str(other)]) == 0  # a different Studio account
    assert table(other, "SELECT COUNT(*) FROM events WHERE user_id = 99")[0][0] == 150

    broken = tmp_path / "broken.json"
    document["stores"]["events"][3]["kind"] = "bogus"
    broken.write_text(json.dumps(document), encoding="utf-8")
    assert main(["import", str(broken), "--user", "5", "--db", str(other)]) == 2
    assert "data.stores.events[3].kind" in capsys.readouterr().err
    assert table(other, "SELECT COUNT(*) FROM events WHERE user_id = 5")[0][0] == 0


def test_the_installed_command_runs_as_a_subprocess(db_path: Path, tmp_path: Path) -> None:
    seed(db_path, 21, wire_events(DAY0, 30))
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    generated = subprocess.run(
        [sys.executable, "-m", "dsm", "report", "generate", "PERFORMANCE_ANALYSIS", "--db", str(db_path)],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    report_id = generated.stdout.split("\t")[0]
    shown = subprocess.run(
        [sys.executable, "-m", "dsm", "report", "show", report_id, "--format", "csv", "--db", str(db_path)],
        capture_output=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    rows = list(csv.reader(io.StringIO(shown.stdout.decode("utf-8"), newline="")))
    assert rows[0][0] == "section" and len(rows) > 2
    backup = tmp_path / "b.gz"
    exported = subprocess.run(
        [sys.executable, "-m", "dsm", "export", "-o", str(backup), "--db", str(db_path)],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    assert "export: " in exported.stderr  # not a terminal: one progress line per store
    assert portable.read_file(backup)["counts"]["events"] == 30


class _Console(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_redraws_one_line_on_a_console() -> None:
    from dsm.reports.cli import TextProgress

    console = _Console()
    progress = TextProgress("import", 5000, console, width=10)
    progress.update("events", 2000, 4000)
    progress.update("events", 4000, 4000)
    progress.update("reports", 1000, 1000)
    progress.close()
    frames = console.getvalue().split("\r")[1:]
    assert frames[0].startswith("import [####......] 2000/5000 rows (events)")
    assert frames[1].startswith("import [########..] 4000/5000 rows (events)")
    assert frames[2].startswith("import [##########] 5000/5000 rows (reports)") and frames[2].endswith("\n")
    assert all(ord(c) < 128 for c in console.getvalue())  # plain ASCII for any Windows code page


def test_report_type_names_are_read_in_any_case(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed(db_path, 21, wire_events(DAY0, 20))
    assert main(["report", "generate", "daily_summary", "--from", "2026-11-23", "--to", "2026-11-23",
                 "--db", str(db_path)]) == 0  # fmt: skip
    assert capsys.readouterr().out.split("\t")[1] == "DAILY_SUMMARY"
    assert main(["report", "list", "--type", "Daily_Summary", "--db", str(db_path)]) == 0
    assert "DAILY_SUMMARY" in capsys.readouterr().out
    with pytest.raises(SystemExit) as typo:
        main(["report", "generate", "dialy_summary", "--db", str(db_path)])
    assert typo.value.code == 2
    assert "invalid choice: 'DIALY_SUMMARY'" in capsys.readouterr().err


def test_exporting_a_user_without_data_is_an_error_and_writes_nothing(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(db_path, 21, wire_events(DAY0, 5))
    backup = tmp_path / "backup.dsm.json.gz"
    assert main(["export", "-o", str(backup), "--user", "99", "--db", str(db_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dsm export: user 99 has no data") and "(users with data: 21)" in err
    assert not backup.exists() and not backup.with_name(backup.name + ".partial").exists()


def test_help_explains_user_and_the_backup_name_is_the_same_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["report", "generate", "--help"])
    helptext = " ".join(capsys.readouterr().out.split())
    assert "--user ID Studio user id whose data to use" in helptext and "any case" in helptext
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    assert "backup.dsm.json.gz" in capsys.readouterr().out
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "backup.dsm.json.gz" in readme and ".dsm.gz" not in readme and "--user" in readme
