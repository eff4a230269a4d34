"""boostphase.ensembles: distributions against their closed forms, counter-based seeding
(bit-identical at any chunking), interval coverage on known Bernoulli cases, convergence and
sensitivity on synthetic data whose answer is known. All in NumPy: well under a second each."""

from __future__ import annotations

import math

import numpy as np
import pytest

from boostphase import ensembles as ens
from boostphase.errors import InputError


def test_uniforms_are_a_pure_function_of_seed_stream_and_index():
    """Any chunking (or order) gives the same bits: each number depends on its index only."""
    whole = ens.uniforms(7, ens.stream_id("x"), np.arange(1000))
    parts = np.concatenate([ens.uniforms(7, ens.stream_id("x"), np.arange(a, min(a + 137, 1000)))
                            for a in range(0, 1000, 137)])
    rev = ens.uniforms(7, ens.stream_id("x"), np.arange(999, -1, -1))[::-1]
    assert np.array_equal(whole, parts) and np.array_equal(whole, rev)
    assert not np.array_equal(whole, ens.uniforms(8, ens.stream_id("x"), np.arange(1000)))
    assert not np.array_equal(whole, ens.uniforms(7, ens.stream_id("y"), np.arange(1000)))
    assert 0.0 < whole.min() and whole.max() < 1.0


def test_uniforms_are_uniform_and_independent_across_streams():
    """KS distance of 100,000 draws under 0.006 (the 1 % critical value is 1.63/sqrt(n) = 0.0052
    plus slack), and correlation between two streams within 4 standard errors of 0."""
    n = 100_000
    u = np.sort(ens.uniforms(1, 11, np.arange(n)))
    ks = np.max(np.abs(u - (np.arange(1, n + 1) - 0.5) / n))
    assert ks < 0.006
    v = ens.uniforms(1, 12, np.arange(n))
    w = ens.uniforms(1, 11, np.arange(n))
    assert abs(np.corrcoef(v, w)[0, 1]) < 4 / math.sqrt(n)


@pytest.mark.parametrize("spec,mean,tol", [
    ({"dist": "uniform", "low": 30, "high": 60}, 45.0, 0.3),
    ({"dist": "triangular", "low": 30, "mode": 45, "high": 65}, (30 + 45 + 65) / 3, 0.3),
    ({"dist": "normal", "mean": 10, "sd": 2}, 10.0, 0.05),
    ({"dist": "choice", "values": [4, 5, 6], "weights": [1, 2, 1]}, 5.0, 0.03),
])
def test_distribution_means_match_closed_forms(spec, mean, tol):
    """50,000 samples: the mean within ~5 standard errors of the closed form."""
    d = ens.parse_distribution("x", spec)
    x = ens.sample({"x": d}, 3, 0, 50_000)["x"]
    assert abs(x.mean() - mean) < tol


def test_lognormal_and_truncated_normal_quantiles():
    d = ens.parse_distribution("beta", {"dist": "lognormal", "median": "200 kg/m^2", "sigma": 1.0}, "kg/m**2")
    x = ens.sample({"b": d}, 5, 0, 40_000)["b"]
    assert abs(np.median(x) / 200.0 - 1) < 0.03
    assert abs(np.std(np.log(x)) - 1.0) < 0.02
    # normal truncated to [0, inf): half-normal mean sd*sqrt(2/pi) for mean 0
    t = ens.parse_distribution("t", {"dist": "normal", "mean": 0, "sd": 10}, "s", 0.0, 1000.0)
    y = ens.sample({"t": t}, 5, 0, 40_000)["t"]
    assert y.min() >= 0.0 and abs(y.mean() - 10 * math.sqrt(2 / math.pi)) < 0.15


def test_categorical_choice_gives_indices_with_the_weights():
    d = ens.parse_distribution("m", {"dist": "choice", "values": ["a", "b", "c"], "weights": [1, 0, 3]})
    k = ens.sample({"m": d}, 9, 0, 20_000)["m"]
    assert d.categorical and set(np.unique(k)) == {0, 2}
    assert abs((k == 2).mean() - 0.75) < 0.015


@pytest.mark.parametrize("spec,field", [
    ({"dist": "uniform", "low": "nan", "high": 3}, "x.low"),
    ({"dist": "uniform", "low": 1, "high": float("inf")}, "x.high"),
    ({"dist": "uniform", "low": 5, "high": 1}, "x.high"),
    ({"dist": "gamma", "k": 1}, "x.dist"),
    ({"dist": "normal", "mean": 1}, "x.sd"),
    ({"dist": "triangular", "low": 1, "mode": 9, "high": 3}, "x.mode"),
    ({"dist": "uniform", "low": 1, "high": 3, "mode": 2}, "x.mode"),
    ({"dist": "choice", "values": [1, 2], "weights": [1]}, "x.weights"),
    ({"dist": "choice", "values": [1, 2], "weights": [-1, 1]}, "x.weights[0]"),
    ({"dist": "uniform", "low": -5, "high": 3}, "x.low"),
    (float("nan"), "x"),
])
def test_bad_distributions_name_the_field(spec, field):
    with pytest.raises(InputError) as e:
        ens.parse_distribution("x", spec, "s", 0.0, 100.0)
    assert e.value.field == field


def test_wilson_coverage_on_a_known_bernoulli():
    """p = 0.3, n = 200, 2,000 replications: the 95 % Wilson interval covers p in 93-97 % of
    them (the binomial spread of the coverage over 2,000 replications is ~0.5 %)."""
    rng = np.random.default_rng(12345)
    k = rng.binomial(200, 0.3, size=2000)
    lo, hi = ens.wilson_interval(k, 200)
    cov = np.mean((lo <= 0.3) & (0.3 <= hi))
    assert 0.93 <= cov <= 0.97
    lo, hi = ens.clopper_pearson(k, 200)
    cov_cp = np.mean((lo <= 0.3) & (0.3 <= hi))
    assert 0.95 <= cov_cp <= 0.99   # exact intervals are conservative


def test_clopper_pearson_closed_form_at_the_edges():
    """k = 0: upper = 1 - (alpha/2)^(1/n); k = n: lower = (alpha/2)^(1/n)."""
    lo, hi = ens.clopper_pearson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** 0.1, rel=1e-9)
    lo, hi = ens.clopper_pearson(10, 10)
    assert hi == 1.0 and lo == pytest.approx(0.025 ** 0.1, rel=1e-9)


def test_wilson_matches_the_consequence_module():
    from boostphase.consequence import wilson_interval as w2

    for k, n in ((0, 5), (3, 17), (200, 200), (1234, 4000)):
        assert np.allclose(ens.wilson_interval(k, n), w2(k, n), atol=1e-12)


def test_stratified_proportion_coverage():
    """Two strata (p 0.2 and 0.6, n 300 each, weights 0.25 / 0.75): the mixed 95 % interval
    covers the true 0.5 in 93-97 % of 2,000 replications."""
    rng = np.random.default_rng(99)
    k1 = rng.binomial(300, 0.2, 2000)
    k2 = rng.binomial(300, 0.6, 2000)
    hits = 0
    for a, b in zip(k1, k2, strict=True):
        r = ens.stratified_proportion([{"p": a / 300, "n": 300}, {"p": b / 300, "n": 300}], [0.25, 0.75])
        hits += r["ci95"][0] <= 0.5 <= r["ci95"][1]
    assert 0.93 <= hits / 2000 <= 0.97


def test_proportion_quantiles_and_convergence():
    e = ens.uniforms(4, 1, np.arange(5000)) < 0.3
    r = ens.proportion(e)
    assert r["n"] == 5000 and r["k"] == int(e.sum()) and r["ci95"][0] < 0.3 < r["ci95"][1]
    c = ens.convergence(e, tol=0.02)
    assert c["converged"] and c["half_width"] < 0.02
    assert not ens.convergence(e[:50], tol=0.02)["converged"]
    q = ens.quantiles(np.r_[np.arange(101.0), np.nan])
    assert q["q50"] == 50.0 and q["q05"] == 5.0


def test_sensitivity_ranks_the_input_that_decides_the_event_first():
    n = 6000
    x = ens.uniforms(2, 1, np.arange(n))
    y = ens.uniforms(2, 2, np.arange(n))
    cat = (ens.uniforms(2, 3, np.arange(n)) * 3).astype(int)
    event = (x > 0.5) & (ens.uniforms(2, 4, np.arange(n)) < np.where(cat == 2, 0.9, 0.7))
    rows = ens.sensitivity({"noise": y, "x": x, "cat": cat}, event, {"cat": ["a", "b", "c"]})
    assert [r["input"] for r in rows][0] == "x"
    assert rows[0]["effect"] == pytest.approx(0.75, abs=0.05)   # 0 below 1/3 vs ~0.77 above 2/3
    cat_row = next(r for r in rows if r["input"] == "cat")
    assert set(cat_row["by_value"]) == {"a", "b", "c"} and cat_row["effect"] > 0.05
    assert abs(next(r for r in rows if r["input"] == "noise")["effect"]) < 0.06
