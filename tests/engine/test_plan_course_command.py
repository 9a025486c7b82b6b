"""``manage.py plan_course`` as a user runs it: a subprocess, its stdout, stderr and exit status.

The 28-day example is worked by hand in test_timeline_examples (test_full_28_day_course_...):
CD1s 2024-12-09 and 2025-01-06 (a Monday), clinic open Monday to Friday.
"""

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE = ["--period-start", "2025-01-06", "--period-start", "2024-12-09"]
COURSE = ["--source", "bone-marrow", "--route", "intrauterine", *BASE, "--not-before", "2025-01-06"]
DATED = {"harvest", "infusion", "ultrasound", "follow-up"}


def run(*args: str, database_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "manage.py", "plan_course", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def run_json(*args: str) -> dict:
    result = run(*args, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_json_contract_keys_and_types():
    data = run_json(*COURSE, "--infusions", "2")
    assert type(data["cycle_length"]) is int and data["cycle_length"] == 28
    assert type(data["ovulation_day"]) is int and data["ovulation_day"] == 14
    assert data["irregular"] is False
    assert isinstance(data["warnings"], list)
    kinds = [step["kind"] for step in data["steps"]]
    assert set(kinds) <= DATED | {"expansion", "embryo-transfer-window"}
    assert kinds.count("infusion") == kinds.count("ultrasound") == 2
    assert kinds.count("follow-up") == 3 and kinds.count("embryo-transfer-window") == 1
    for step in data["steps"]:
        assert step["done"] is False
        if step["kind"] in DATED:
            date.fromisoformat(step["date"])
            date.fromisoformat(step["cycle_start"])
            assert type(step["cycle_day"]) is int and 1 <= step["cycle_day"] <= 28
            assert step["phase"] in ("menstrual", "proliferative", "late-proliferative", "luteal")
            assert isinstance(step["tentative"], bool)
            assert type(step["uncertainty_days"]) is int
        if step["kind"] in ("infusion", "ultrasound"):
            assert type(step["number"]) is int
        if step["kind"] == "follow-up":
            assert step["months"] in (3, 6, 12)
        if step["kind"] == "expansion":
            for key in ("start", "ready_from", "ready_by"):
                date.fromisoformat(step[key])
        if step["kind"] == "embryo-transfer-window":
            assert date.fromisoformat(step["start"]) < date.fromisoformat(step["end"])
            assert all(date.fromisoformat(day) for day in step["suggested"])
    order = [step.get("date") or step["start"] for step in data["steps"]]
    assert order == sorted(order)


def test_json_dates_of_the_worked_example():
    steps = {
        step["kind"] + str(step.get("number", "")): step for step in run_json(*COURSE)["steps"]
    }
    assert steps["harvest"]["date"] == "2025-01-06"
    assert steps["expansion"]["ready_by"] == "2025-01-27"
    assert (steps["infusion1"]["date"], steps["infusion1"]["cycle_day"]) == ("2025-02-12", 10)
    assert steps["infusion1"]["tentative"] is True and steps["infusion1"]["uncertainty_days"] == 2
    assert steps["ultrasound1"]["date"] == "2025-03-14"
    window = steps["embryo-transfer-window"]
    assert (window["start"], window["end"]) == ("2025-04-28", "2025-06-22")
    assert window["suggested"] == ["2025-05-16", "2025-06-13"]


def test_done_facts_appear_with_real_dates_and_drive_the_decision():
    data = run_json(
        *COURSE,
        "--harvested",
        "2025-01-07",
        "--infused",
        "2025-02-13",
        "--thickness",
        "2025-03-13:5.5",
        "--not-before",
        "2025-03-14",
    )
    done = {(s["kind"], s.get("date", s.get("start"))) for s in data["steps"] if s["done"]}
    assert done == {
        ("harvest", "2025-01-07"),
        ("expansion", "2025-01-07"),
        ("infusion", "2025-02-13"),
        ("ultrasound", "2025-03-13"),
    }
    second = [s for s in data["steps"] if s["kind"] == "infusion" and s["number"] == 2]
    assert second and second[0]["date"] == "2025-04-09"  # cycle from 03-31, CD10
    assert any("5.5 mm" in warning for warning in data["warnings"])


def test_text_format_is_a_table_of_the_steps():
    result = run(*COURSE, "--source", "menstrual-blood", "--period-start", "2024-11-11")
    assert result.returncode == 0, result.stderr
    for expected in ("harvest", "2025-01-07", "infusion 1", "ultrasound 1", "follow-up 12 months"):
        assert expected in result.stdout
    assert "embryo-transfer-window" in result.stdout and "suggested" in result.stdout
    header = next(line for line in result.stdout.splitlines() if line.startswith("STEP"))
    infusion = next(line for line in result.stdout.splitlines() if line.startswith("infusion 1"))
    assert infusion.index("2025-") == header.index("DATE")  # aligned columns


def test_text_format_lists_warnings():
    irregular = ["--period-start", "2024-11-15", "--period-start", "2024-10-11"]
    result = run(*COURSE, *irregular)  # intervals 35, 24, 28: spread 11 > 7
    assert result.returncode == 0, result.stderr
    assert "Warnings:" in result.stdout and "irregular" in result.stdout


def test_default_not_before_is_today():
    data = run_json("--source", "adipose", "--route", "intrauterine", *BASE)
    harvest = next(step for step in data["steps"] if step["kind"] == "harvest")
    assert date.fromisoformat(harvest["date"]) >= date.today()


def test_command_never_touches_the_database():
    unreachable = "postgres://nobody:secret@127.0.0.1:9/none"
    result = run(*COURSE, "--format", "json", database_url=unreachable)
    assert result.returncode == 0, result.stderr


def test_no_valid_plan_exits_1_with_the_reason():
    short = ["--period-start", "2025-01-06", "--cycle-length", "21"]
    result = run("--source", "adipose", "--route", "intrauterine-artery", *short)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "ovulation" in result.stderr
    expired = run(*COURSE, "--released", "2025-02-01", "--expires", "2025-02-02")
    assert expired.returncode == 1 and "expires" in expired.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--period-start", "2025-02-30"], "2025-02-30"),
        (["--period-start", "06/01/2025"], "06/01/2025"),
        (["--cycle-length", "14", "--source", "adipose"], "cycle length"),
        (["--luteal-length", "20"], "luteal"),
        (["--open-days", ""], "open"),
        (["--open-days", "mon,funday"], "funday"),
        (["--source", "placenta"], "placenta"),
        (["--route", "oral"], "oral"),
        (["--infusions", "4"], "infusions"),
        (["--infusions", "0"], "infusions"),
        (["--thickness", "2025-03-01"], "2025-03-01"),
        (["--thickness", "2025-03-01:-1"], "thickness"),
        (["--cycle-length", "many"], "many"),
    ],
)
def test_invalid_input_exits_2_with_one_line(args, needle):
    only_one_start = [
        "--source",
        "bone-marrow",
        "--route",
        "intrauterine",
        "--period-start",
        "2025-01-06",
    ]
    result = run(*only_one_start, *args)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and needle in result.stderr


def test_missing_required_arguments_exit_2():
    result = run("--source", "adipose", "--route", "intrauterine")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--period-start" in result.stderr


def test_only_the_response_ultrasound_decides_and_every_result_is_charted():
    data = run_json(
        *COURSE,
        "--harvested",
        "2025-01-07",
        "--infused",
        "2025-02-13",
        "--thickness",
        "2025-02-13:8",  # the infusion day: an observation, no longer "responded"
        "--thickness",
        "2025-03-20:5.5:ultrasound-1",  # recorded against the visit: decides
        "--not-before",
        "2025-03-21",
        "--today",
        "2025-03-21",
    )
    assert data["outcome"] == "pending"
    assert [(o["date"], o["role"], o["number"]) for o in data["observations"]] == [
        ("2025-02-13", "observation", None),
        ("2025-03-20", "response", 1),
    ]
    assert "the day of infusion 1" in data["observations"][0]["note"]
    assert any(s["key"] == "infusion-2" and not s["done"] for s in data["steps"])


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--today", "2025-02-01", "--infused", "2025-02-13"], "future"),
        (["--today", "2040-01-01"], "ten years ago"),  # the period start, seen from 2040
        (["--today", "0001-01-01"], "1900-01-01"),
        (["--released", "2025-02-01", "--expires", "2025-01-20"], "must be after the release"),
        (["--thickness", "2025-02-01:6:follow-up-3"], "ultrasound-N"),
    ],
)
def test_facts_are_checked_against_today(args, needle):
    result = run(*COURSE, *args)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and needle in result.stderr


# -- donor lots, transfer and pregnancy (issue 12) ---------------------------------------------

UC_COURSE = ["--source", "umbilical-cord", "--route", "intrauterine", *BASE]
UC_COURSE += ["--not-before", "2025-01-06", "--today", "2025-01-20"]


def test_help_documents_the_course_end_flags():
    result = run("--help")
    assert result.returncode == 0
    for flag in ("--transfer", "--pregnancy-test", "--lot-released", "positive|negative"):
        assert flag in result.stdout


def test_a_uc_course_infuses_after_the_lead_time_from_the_lot_release():
    data = run_json(*UC_COURSE, "--lot-released", "2025-01-14")
    kinds = [step["kind"] for step in data["steps"]]
    assert "harvest" not in kinds and "expansion" not in kinds
    infusion = next(step for step in data["steps"] if step["kind"] == "infusion")
    assert (infusion["date"], infusion["cycle_day"]) == ("2025-01-16", 11)  # CD9 + 2 days
    assert data["waiting_for"] is None
    slower = run_json(*UC_COURSE, "--lot-released", "2025-01-14", "--thaw-lead-days", "5")
    assert next(s for s in slower["steps"] if s["kind"] == "infusion")["date"] == "2025-02-12"


def test_a_uc_course_without_a_lot_waits_and_says_so():
    result = run(*UC_COURSE)
    assert result.returncode == 0, result.stderr
    assert "Waiting for a donor lot" in result.stdout
    assert run_json(*UC_COURSE)["waiting_for"] == "donor-lot"


def test_transfer_and_a_positive_test_hold_the_follow_ups():
    infused = ["--released", "2025-01-10", "--infused", "2025-01-15"]
    facts = [*infused, "--thickness", "2025-02-14:8.0:ultrasound-1", "--today", "2025-05-10"]
    data = run_json(*COURSE, *facts, "--transfer", "2025-04-18")
    window = next(s for s in data["steps"] if s["kind"] == "embryo-transfer-window")
    assert window["done"] and window["suggested"] == [] and window["date"] == "2025-04-18"
    pregnant = [*facts, "--transfer", "2025-04-18", "--pregnancy-test", "2025-04-28:positive"]
    data = run_json(*COURSE, *pregnant, "--not-before", "2025-04-28")
    assert data["pregnant_from"] == "2025-04-28"
    follow_ups = [s for s in data["steps"] if s["kind"] == "follow-up"]
    assert len(follow_ups) == 3 and all(s["held"] and s["date"] is None for s in follow_ups)
    text = run(*COURSE, *pregnant, "--not-before", "2025-04-28")
    assert "held (pregnant)" in text.stdout and "Pregnant from 2025-04-28" in text.stdout
    dropped = run_json(
        *COURSE, *pregnant, "--not-before", "2025-04-28", "--follow-ups-in-pregnancy", "drop"
    )
    assert not [s for s in dropped["steps"] if s["kind"] == "follow-up"]
    negative = [*facts, "--transfer", "2025-04-18", "--pregnancy-test", "2025-04-28:negative"]
    data = run_json(*COURSE, *negative, "--not-before", "2025-04-28")
    assert data["pregnant_from"] is None
    assert all(s["date"] for s in data["steps"] if s["kind"] == "follow-up")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--pregnancy-test", "2025-02-01:maybe"], "positive or YYYY-MM-DD:negative"),
        (["--pregnancy-test", "2025-02-30:positive"], "2025-02-30"),
        (["--transfer", "2025-13-01"], "2025-13-01"),
        (["--lot-released", "yesterday"], "yesterday"),
        (["--pregnancy-test", "2025-02-01:positive"], "needs an embryo transfer"),
        (["--transfer", "2025-03-01"], "future"),
        (["--lot-released", "2025-01-10"], "Only an umbilical-cord course"),
    ],
)
def test_bad_course_end_values_exit_2_with_one_line(args, needle):
    result = run(*COURSE, "--today", "2025-02-10", *args)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and needle in result.stderr


def test_bad_uc_values_exit_2_with_one_line():
    for args, needle in (
        (["--harvested", "2025-01-08"], "no harvest"),
        (["--lot-released", "2025-01-14", "--thaw-lead-days", "99"], "lead time"),
        (["--lot-released", "2025-01-14", "--expires", "2025-01-10"], "must be after the dose"),
    ):
        result = run(*UC_COURSE, *args)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and needle in result.stderr
