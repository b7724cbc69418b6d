#!/usr/bin/python3
"""Reference values for t/31-stats-ref.t, from SciPy and statsmodels.

t/30-report-stats.t imports it too, for seq_reference, best_reference
and power_reference, to check the figures icp-report prints.

Writes one case per line, "CMD ARGS... = EXPECTED...", in the input
format of tests/stats_ref.c; the test feeds the part before "=" to the C
driver and compares its answer with the part after.  The cases are drawn
from a seeded generator, so every run writes the same file.

Nothing here re-implements the C code's formulas; each statistic comes
from the libraries, computed another way where the libraries have no
such function:

  holm   statsmodels.stats.multitest.multipletests(method="holm")
  seq    the mixture likelihood ratio as a ratio of two normal densities
         (scipy.stats.norm), the interval's half-width by root finding
         (scipy.optimize.brentq) on that ratio, not by its closed form
  best   scipy.integrate.quad of the Beta density times the other Beta
         distribution functions (scipy.special.betaln, betainc)
  power  the detectable rate and the sample needed by root finding
         (brentq, to full precision) on statsmodels' power
         (NormalIndPower.power of proportion_effectsize)

Usage: /usr/bin/python3 tests/stats_ref.py [CASES_PER_STATISTIC]
"""

import math
import sys
import warnings

import numpy as np
from scipy import integrate, optimize, special, stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

ALPHA = 0.05
POWER = 0.8
Z_ALPHA = stats.norm.isf(ALPHA / 2)
Z_POWER = stats.norm.ppf(POWER)


def fmt(x):
    return "nan" if x is None or math.isnan(x) else repr(float(x))


def emit(cmd, args, expected):
    print(cmd, " ".join(str(a) for a in args), "=",
          " ".join(fmt(e) for e in expected))


# -- holm -----------------------------------------------------------------

def holm_cases(rng, n):
    cases = [[0.01, 0.04, 0.03, 0.005], [0.05, 0.05], [0.5], [1.0, 1.0],
             [1e-300, 0.2, 0.9]]
    while len(cases) < n:
        k = int(rng.integers(2, 9))
        kind = rng.integers(3)
        if kind == 0:
            p = rng.uniform(0, 1, k)
        elif kind == 1:
            p = 10.0 ** -rng.uniform(0, 10, k)
        else:
            # ties
            p = rng.choice([0.001, 0.01, 0.02, 0.04, 0.3], k)
        cases.append([float(x) for x in p])
    for p in cases:
        adj = multipletests(p, alpha=ALPHA, method="holm")[1]
        emit("holm", [len(p)] + [repr(x) for x in p], adj)


# -- seq ------------------------------------------------------------------

def log_lr(d, d0, v, tau2):
    """log of the mixture likelihood ratio of 'd ~ N(d0, tau2)' to d0."""
    return (stats.norm.logpdf(d, d0, math.sqrt(v + tau2))
            - stats.norm.logpdf(d, d0, math.sqrt(v)))


def half_width(v, tau2, alpha):
    """The |d - d0| at which the ratio reaches 1 / alpha, by brentq."""
    target = -math.log(alpha)
    hi = math.sqrt(v + tau2)
    while log_lr(hi, 0, v, tau2) < target:
        hi *= 2
    return optimize.brentq(lambda w: log_lr(w, 0, v, tau2) - target,
                           0, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps,
                           maxiter=500)


def seq_reference(tau2, alpha, looks):
    p = 1.0
    dlo, dhi, llo, lhi = -math.inf, math.inf, -1.0, math.inf
    for xc, nc, xv, nv in looks:
        pc, pv = xc / nc, xv / nv
        v = pc * (1 - pc) / nc + pv * (1 - pv) / nv
        if v <= 0:
            continue
        d = pv - pc
        p = min(p, min(1.0, math.exp(-log_lr(d, 0, v, tau2))))
        w = half_width(v, tau2, alpha)
        lo, hi = d - w, d + w
        # an interval disjoint from the running one leaves it as it is
        if not (lo > dhi or hi < dlo):
            dlo, dhi = max(dlo, lo), min(dhi, hi)
        if xc > 0 and xv > 0:
            c = w / math.sqrt(v)
            se = math.sqrt(1 / xv - 1 / nv + 1 / xc - 1 / nc)
            lr = math.log(pv / pc)
            lo, hi = math.expm1(lr - c * se), math.expm1(lr + c * se)
            if not (lo > lhi or hi < llo):
                llo, lhi = max(llo, lo), min(lhi, hi)
    return [p, dlo, dhi, llo, lhi]


def seq_cases(rng, n):
    cases = [
        # one look: the unit test's by-hand case
        (2.5e-5, 0.05, [(100, 1000, 130, 1000)]),
        # no conversions in the variant at first: no lift interval then
        (2.5e-5, 0.05, [(3, 200, 0, 200), (30, 2000, 12, 2000)]),
    ]
    while len(cases) < n:
        tau2 = float(rng.choice([1e-6, 2.5e-5, 1e-4, 1e-3]))
        alpha = float(rng.choice([0.01, 0.05, 0.1]))
        rate = rng.uniform(0.005, 0.3)
        lift = rng.choice([0.0, rng.uniform(-0.3, 0.5)])
        steps = int(rng.integers(1, 21))
        batch = int(rng.integers(50, 5000))
        xc = nc = xv = nv = 0
        looks = []
        for _ in range(steps):
            bc = int(batch * rng.uniform(0.8, 1.2))
            bv = int(batch * rng.uniform(0.8, 1.2))
            xc += int(rng.binomial(bc, rate))
            xv += int(rng.binomial(bv, min(1.0, rate * (1 + lift))))
            nc += bc
            nv += bv
            looks.append((xc, nc, xv, nv))
        cases.append((tau2, alpha, looks))
    for tau2, alpha, looks in cases:
        args = [repr(tau2), repr(alpha), len(looks)]
        for look in looks:
            args.extend(look)
        emit("seq", args, seq_reference(tau2, alpha, looks))


# -- best -----------------------------------------------------------------

def best_reference(counts):
    # scipy.special's Beta functions: scipy.stats.beta's, without the
    # argument checking that would make the integrals take minutes
    shapes = [(1 + c, 1 + n - c) for c, n in counts]
    lo = min(stats.beta.ppf(1e-30, a, b) for a, b in shapes)
    hi = max(stats.beta.isf(1e-30, a, b) for a, b in shapes)
    means = sorted(a / (a + b) for a, b in shapes)
    out = []
    for i, (a, b) in enumerate(shapes):
        rest = [s for j, s in enumerate(shapes) if j != i]

        def log_f(x):
            v = (special.xlogy(a - 1, x) + special.xlog1py(b - 1, -x)
                 - special.betaln(a, b))
            for a2, b2 in rest:
                cdf = special.betainc(a2, b2, x)
                v += math.log(cdf) if cdf > 0 else -math.inf
            return v

        # the peak of this integrand, so that quad does not step over it
        peak = optimize.minimize_scalar(lambda x: -log_f(x), bounds=(lo, hi),
                                        method="bounded",
                                        options={"xatol": 1e-14}).x
        points = [m for m in means + [peak] if lo < m < hi]
        val = integrate.quad(lambda x: math.exp(log_f(x)), lo, hi,
                             points=points, limit=2000, epsabs=0,
                             epsrel=1e-12)[0]
        out.append(val)
    return out


def best_cases(rng, n):
    cases = [
        # issue 18: chance to beat control losing accuracy when small
        [(150, 300), (225, 900)], [(225, 900), (150, 300)],
        [(2, 24), (158, 80271)], [(158, 80271), (2, 24)],
        [(0, 0), (0, 0)], [(0, 0), (0, 0), (1, 1)],
        [(0, 1000), (0, 1000), (3, 1000)],
        [(120, 1000), (130, 1000), (110, 1000), (125, 1000)],
    ]
    while len(cases) < n:
        k = int(rng.integers(2, 6))
        size = int(10 ** rng.uniform(1, 5))
        rate = rng.uniform(0.01, 0.5)
        arms = []
        for _ in range(k):
            nn = int(size * rng.uniform(0.5, 1.5))
            r = min(1.0, rate * rng.uniform(0.7, 1.3))
            arms.append((int(rng.binomial(nn, r)), nn))
        cases.append(arms)
    for arms in cases:
        args = [len(arms)]
        for c, nn in arms:
            args.extend((c, nn))
        emit("best", args, best_reference(arms))


# -- power ----------------------------------------------------------------

def power_at(p2, pc, nc, nv):
    h = proportion_effectsize(p2, pc)
    return NormalIndPower().power(h, nobs1=nc, alpha=ALPHA / 2,
                                  ratio=nv / nc, alternative="larger")


def power_reference(xc, nc, xv, nv):
    pc, pv = xc / nc, xv / nv
    if power_at(1.0, pc, nc, nv) < POWER:
        mde = math.nan
    else:
        p2 = optimize.brentq(lambda q: power_at(q, pc, nc, nv) - POWER,
                             pc, 1.0, xtol=1e-300,
                             rtol=4 * np.finfo(float).eps, maxiter=500)
        mde = p2 - pc
    rel = mde / pc if pc > 0 else math.nan
    h = abs(proportion_effectsize(pv, pc))
    if h == 0:
        total_c = math.inf
    else:
        # solve_power's own root tolerance stops near 1e-8 relative
        def short(m):
            return NormalIndPower().power(h, nobs1=m, alpha=ALPHA / 2,
                                          ratio=nv / nc,
                                          alternative="larger") - POWER
        hi = 1.0
        while short(hi) < 0:
            hi *= 2
        total_c = optimize.brentq(short, hi / 2, hi, xtol=1e-300,
                                  rtol=4 * np.finfo(float).eps, maxiter=500)
    return [mde, rel, total_c, total_c * nv / nc]


def power_cases(rng, n):
    cases = [(100, 1000, 130, 1000), (1000, 10000, 1000, 10000),
             (0, 500, 3, 500), (5, 10, 2, 12), (40, 2000, 52, 1000)]
    while len(cases) < n:
        nc = int(10 ** rng.uniform(2, 6))
        nv = int(nc * rng.uniform(0.5, 2))
        rate = rng.uniform(0.005, 0.5)
        lift = rng.uniform(-0.4, 0.6)
        xc = int(rng.binomial(nc, rate))
        xv = int(rng.binomial(nv, min(1.0, rate * (1 + lift))))
        cases.append((xc, nc, xv, nv))
    for xc, nc, xv, nv in cases:
        emit("power", [repr(Z_ALPHA), repr(Z_POWER), xc, nc, xv, nv],
             power_reference(xc, nc, xv, nv))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    # log 0 at the ends of the integration windows is expected
    warnings.simplefilter("ignore", RuntimeWarning)
    rng = np.random.default_rng(20261123)
    holm_cases(rng, n)
    seq_cases(rng, n)
    best_cases(rng, n)
    power_cases(rng, n)


if __name__ == "__main__":
    main()
