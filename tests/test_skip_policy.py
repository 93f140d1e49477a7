"""The rule that keeps a green CI honest: a skip fails the run under CI=true."""

from __future__ import annotations

import pytest

from tests import skip_policy

SUITE = """
import pytest

def test_runs():
    pass

def test_needs_a_facility():
    pytest.skip("no frobnicator on this machine")
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_facility=SUITE)
    return pytester


def test_a_skip_fails_the_run_under_ci(suite: pytest.Pytester,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    result = suite.runpytest("-p", "tests.skip_policy")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*skipped under CI=true*: no frobnicator on this machine*"])


def test_locally_a_skip_is_allowed_and_named_at_the_end(suite: pytest.Pytester,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    result = suite.runpytest("-p", "tests.skip_policy")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        ["did not run here (a failure under CI=true): test_facility.py (1: no frobnicator*"])


def test_an_allow_listed_skip_passes_in_ci_and_is_printed(suite: pytest.Pytester,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setitem(skip_policy.ALLOWED, "test_facility.py::test_needs_a_facility",
                        "frobnicators exist only on the vendor's bench")
    result = suite.runpytest("-p", "tests.skip_policy")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["allowed skip: test_facility.py::test_needs_a_facility: "
                                 "frobnicators exist only on the vendor's bench*"])


def test_a_module_skipped_at_collection_fails_under_ci(pytester: pytest.Pytester,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(test_nomod="import pytest\npytest.importorskip('no_such_module_x')\n")
    monkeypatch.setenv("CI", "true")
    result = pytester.runpytest("-p", "tests.skip_policy")
    assert result.ret != pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*skipped under CI=true*no_such_module_x*"])
