"""The CPU's vector extensions in the evidence (fixtures/evidence.py): machines that differ in them
may train a run to other last digits, so a reader comparing two sessions must be able to see them."""

from fixtures.evidence import SIMD_FLAGS, cpu_simd


def test_the_cpus_vector_extensions_are_read_from_its_flags(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Xeon\nflags\t\t: fpu sse4_2 avx avx2 fma avx512f amx_tile ht\n\n"
                       "processor\t: 1\nflags\t\t: fpu sse4_2\n")
    assert cpu_simd(cpuinfo) == ["sse4_2", "avx", "avx2", "fma", "avx512f", "amx_tile"]  # the first CPU's, in SIMD_FLAGS order


def test_where_the_cpu_cannot_say_the_evidence_says_none(tmp_path):
    assert cpu_simd(tmp_path / "missing") is None
    (tmp_path / "noflags").write_text("processor\t: 0\n")
    assert cpu_simd(tmp_path / "noflags") is None


def test_this_machine_reports_a_subset_of_the_known_flags():
    found = cpu_simd()
    assert found is None or set(found) <= set(SIMD_FLAGS)
