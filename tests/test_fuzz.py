"""Fuzzing every reader with hypothesis (issue 12, item 7): damaged copies of a good file of each
format go through ``coprod validate`` (or ``coprod analyze --spec``) and must end with exit 0, 1
or 2, no traceback, no hang, the input unchanged.

Bounded and seeded (``derandomize``: the same cases on every run, no example database), so it
is part of the normal test command and takes well under a minute; ``scripts/fuzz.py`` runs the
same cases at 10,000 and reports figures per format.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("coprod_fuzz", ROOT / "scripts" / "fuzz.py")
fuzz = importlib.util.module_from_spec(_spec)
sys.modules["coprod_fuzz"] = fuzz  # dataclasses look their module up while the script loads
_spec.loader.exec_module(fuzz)

FRAC = st.floats(min_value=0, max_value=1, exclude_max=True, allow_nan=False)
BYTE_OP = st.one_of(
    st.tuples(st.just("flip"), FRAC, st.integers(0, 255)),
    st.tuples(st.just("cut"), FRAC),
    st.tuples(st.just("delete"), FRAC, st.sampled_from((1, 7, 64, 1000))),
    st.tuples(st.just("insert"), FRAC, st.sampled_from(fuzz.INSERTS) | st.binary(min_size=1, max_size=12)),
    st.tuples(st.just("dup"), FRAC, st.sampled_from((1, 7, 64))),
)
VALUE = st.sampled_from(fuzz.CELL_VALUES) | st.text(max_size=12)
CELL_OP = st.tuples(st.just("cell"), FRAC, FRAC, VALUE)
WORKBOOK_OP = st.one_of(st.tuples(st.just("member"), FRAC, st.lists(BYTE_OP, min_size=1, max_size=2)),
                        st.tuples(st.just("xcell"), FRAC, VALUE))


def _ops(fmt: str):
    base = fmt.removeprefix("spec-")
    one = {"xlsx": BYTE_OP | WORKBOOK_OP, "sav": BYTE_OP, "dta": BYTE_OP}.get(base, BYTE_OP | CELL_OP)
    return st.lists(one, min_size=1, max_size=3)


#: examples per format: the response formats are cheap to validate, spec mode runs an analysis
EXAMPLES = {**{f: 20 for f in fuzz.RESPONSE_FORMATS}, **{f: 4 for f in fuzz.SPEC_FORMATS}}


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    return fuzz.seed_files(tmp_path_factory.mktemp("fuzz-seeds"))


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-cases")


def _check(fmt: str, ops, seeds, work) -> None:
    case = work / f"case-{fmt}{seeds[fmt].suffix}"
    case.write_bytes(fuzz.apply_ops(seeds[fmt].read_bytes(), ops))
    o = fuzz.run_case(fmt, case, seeds, work, timeout=30)
    assert o.traceback is None, o.traceback
    assert not o.hang, f"{fmt}: no answer within 30 s for {ops!r}"
    assert not o.modified
    assert o.code in (0, 1, 2), o


@pytest.mark.parametrize("fmt", fuzz.FORMATS)
def test_every_reader_survives_damaged_files(fmt, seeds, work):
    @settings(max_examples=EXAMPLES[fmt], deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(ops=_ops(fmt))
    def run(ops):
        _check(fmt, ops, seeds, work)

    run()


def test_the_seed_files_themselves_are_clean(seeds, work):
    for fmt in fuzz.FORMATS:
        o = fuzz.run_case(fmt, seeds[fmt], seeds, work)
        assert (o.code, o.traceback) == (0, None), fmt


def test_ops_apply_to_any_file():
    data = b"a,b\n1,2\n3,4\n"
    assert fuzz.apply_ops(data, [("cut", 0.5)]) == b"a,b\n1,"
    assert fuzz.apply_ops(data, [("flip", 0.0, ord("x"))]) == b"x,b\n1,2\n3,4\n"
    assert fuzz.apply_ops(data, [("cell", 0.5, 0.9, "99")]) == b"a,b\n1,99\n3,4\n"
    assert fuzz.apply_ops(b"", [("flip", 0.3, 1), ("delete", 0.5, 7), ("dup", 0.2, 64)]) == b""
