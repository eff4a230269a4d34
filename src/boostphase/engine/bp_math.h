/* boostphase engine: lane types and the engine's own transcendentals.
 *
 * Included by every build of the kernel: the scalar CPU path (BP_W 1), the packet paths
 * (BP_W 8: 8 float64 lanes as a GCC/Clang vector; compiled once for AVX-512 and once for AVX2)
 * and the CUDA build (NVRTC, BP_W 1, __CUDACC_RTC__). The kernel is written once, for a lane
 * type `vd` (double or 8 doubles), a mask type `vm` (-1 = true, 0 = false in every build) and
 * the macros below; branches on lane values are selects (SEL), so a lane of a packet runs the
 * very operations the scalar build runs for that case.
 *
 * Bit identity: only + - * /, sqrt (correctly rounded in every build) and integer/bit operations
 * are used on lane values. exp, log, sin/cos and cbrt are the polynomials below, never libm or
 * CUDA's math library, whose bits differ between versions and instruction sets. Builds must not
 * contract a*b+c into an FMA (-ffp-contract=off on the CPU, --fmad=false for NVRTC) and must not
 * use fast-math.
 */
#ifndef BP_MATH_H
#define BP_MATH_H

#ifndef BP_W
#error "define BP_W (1 or 8) before including bp_math.h"
#endif

#ifdef __CUDACC_RTC__
#define BP_DEV __device__ static inline
#define BP_BIG __device__ static
typedef long long bp_i64;
typedef unsigned long long bp_u64;
typedef int int32_t;
typedef long long int64_t;
typedef unsigned char uint8_t;
#else
#include <stdint.h>
#include <string.h>
#define BP_DEV static inline __attribute__((always_inline))
/* large functions called from several places (the right-hand side: 7 calls per step) stay
 * functions: inlining them everywhere cost minutes of compile time and no measurable speed */
#define BP_BIG static __attribute__((noinline))
typedef int64_t bp_i64;
typedef uint64_t bp_u64;
#endif

#if BP_W == 1
typedef double vd;
typedef bp_i64 vm;
#define LT(a, b) (-(vm)((a) < (b)))
#define LE(a, b) (-(vm)((a) <= (b)))
#define GT(a, b) (-(vm)((a) > (b)))
#define GE(a, b) (-(vm)((a) >= (b)))
#define EQ(a, b) (-(vm)((a) == (b)))
#define NE(a, b) (-(vm)((a) != (b)))
#define SEL(m, a, b) ((m) ? (a) : (b))
#define SELI(m, a, b) ((m) ? (a) : (b))
#define ANY(m) ((m) != 0)
#define ALL(m) ((m) != 0)
#define LANE(v, j) (v)
#define SPLAT(x) ((vd)(x))
#define SPLATI(x) ((vm)(x))
#define TOF(i) ((double)(i))
#ifdef __CUDACC_RTC__
#define SQRT(x) sqrt(x)
#define BP_NAN __longlong_as_double(0x7ff8000000000000LL)
BP_DEV vm as_int(vd x) { return __double_as_longlong(x); }
BP_DEV vd as_dbl(vm i) { return __longlong_as_double(i); }
#else
#define SQRT(x) __builtin_sqrt(x)
BP_DEV vm as_int(vd x) { vm i; memcpy(&i, &x, 8); return i; }
BP_DEV vd as_dbl(vm i) { vd x; memcpy(&x, &i, 8); return x; }
#endif
#else /* packet of BP_W lanes */
typedef double vd __attribute__((vector_size(8 * BP_W)));
typedef bp_i64 vm __attribute__((vector_size(8 * BP_W)));
#define LT(a, b) ((vm)((a) < (b)))
#define LE(a, b) ((vm)((a) <= (b)))
#define GT(a, b) ((vm)((a) > (b)))
#define GE(a, b) ((vm)((a) >= (b)))
#define EQ(a, b) ((vm)((a) == (b)))
#define NE(a, b) ((vm)((a) != (b)))
BP_DEV vd bp_sel(vm m, vd a, vd b) { return (vd)(((vm)a & m) | ((vm)b & ~m)); }
BP_DEV vm bp_seli(vm m, vm a, vm b) { return (a & m) | (b & ~m); }
/* scalars in either branch are broadcast (x + a zero vector) */
#define SEL(m, a, b) bp_sel((m), (a) + (vd){}, (b) + (vd){})
#define SELI(m, a, b) bp_seli((m), (a) + (vm){}, (b) + (vm){})
BP_DEV int bp_any(vm m) { bp_i64 r = 0; for (int j = 0; j < BP_W; j++) r |= m[j]; return r != 0; }
BP_DEV int bp_all(vm m) { bp_i64 r = -1; for (int j = 0; j < BP_W; j++) r &= m[j]; return r != 0; }
#define ANY(m) bp_any(m)
#define ALL(m) bp_all(m)
#define LANE(v, j) ((v)[j])
#define SPLAT(x) ((vd){} + (double)(x))
#define SPLATI(x) ((vm){} + (bp_i64)(x))
#define TOF(i) __builtin_convertvector((i), vd)
BP_DEV vd bp_sqrt(vd x) {
    vd r;
    for (int j = 0; j < BP_W; j++) r[j] = __builtin_sqrt(x[j]); /* vectorised (vsqrtpd) */
    return r;
}
#define SQRT(x) bp_sqrt(x)
BP_DEV vm as_int(vd x) { return (vm)x; }
BP_DEV vd as_dbl(vm i) { return (vd)i; }
#endif

#ifdef __CUDACC_RTC__
#define SQRT1(x) sqrt(x)
#else
#define SQRT1(x) __builtin_sqrt(x)
#define BP_NAN __builtin_nan("")
#endif
#define TRUE_M SPLATI(-1)
#define FALSE_M SPLATI(0)
#define NOT(m) (~(m))
/* a counter plus one where a mask is true (masks are -1) */
#define INC(c, m) ((c) - (m))
#define MAX(a, b) SEL(GT((a), (b)), (a), (b))
#define MIN(a, b) SEL(LT((a), (b)), (a), (b))
#define CLIP(x, lo, hi) MIN(MAX((x), (lo)), (hi))
#define ABS(x) SEL(LT((x), 0.0), -(x), (x))
/* finite: x - x is 0 for a finite x, NaN for inf and NaN */
#define FINITE(x) EQ((x) - (x), 0.0)

/* round to the nearest integer (ties to even) for |x| < 2^51: adding 1.5 * 2^52 leaves the
 * integer in the low mantissa bits, so as_int(x + SHIFT) - as_int(SHIFT) is that integer */
#define BP_SHIFT 6755399441055744.0
#define BP_SHIFT_BITS 0x4338000000000000LL

/* exp(x): x = n ln2 + r, |r| <= ln2/2 (Cody-Waite split of ln2, exact n*LN2_HI), Taylor
 * polynomial of degree 13 in r (truncation < 4e-18 relative), times 2^n built in the exponent
 * bits. Measured against glibc over [-700, 700] (2e6 points): <= 1 ulp. x is clamped to [-700, 700]
 * (exp(-700) = 1e-304 stands for any smaller density). */
BP_DEV vd bp_exp(vd x) {
    x = CLIP(x, -700.0, 700.0);
    vd kd = x * 1.4426950408889634 + BP_SHIFT;
    vm ki = as_int(kd) - BP_SHIFT_BITS;
    vd n = kd - BP_SHIFT;
    vd r = (x - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10;
    vd p = SPLAT(1.0 / 6227020800.0);
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    return p * as_dbl((ki + 1023) << 52);
}

/* ln(x) for x > 0 (clamped below at 1e-300): x = 2^e m, m in [sqrt(1/2), sqrt(2)),
 * ln m = 2 atanh(f), f = (m-1)/(m+1), |f| <= 0.1716, odd series to f^23 (truncation < 1e-18).
 * Measured against glibc over 1e-300..1e300: <= 2 ulp. */
BP_DEV vd bp_log(vd x) {
    x = MAX(x, 1e-300);
    vm bits = as_int(x);
    vm e = ((bits >> 52) & 0x7ff) - 1023;
    vd m = as_dbl((bits & 0x000fffffffffffffLL) | 0x3ff0000000000000LL);
    vm big = GT(m, 1.4142135623730951);
    m = SEL(big, m * 0.5, m);
    e = INC(e, big);
    vd ed = as_dbl(e + BP_SHIFT_BITS) - BP_SHIFT;
    vd f = (m - 1.0) / (m + 1.0);
    vd s = f * f;
    vd p = SPLAT(1.0 / 23.0);
    p = p * s + 1.0 / 21.0;
    p = p * s + 1.0 / 19.0;
    p = p * s + 1.0 / 17.0;
    p = p * s + 1.0 / 15.0;
    p = p * s + 1.0 / 13.0;
    p = p * s + 1.0 / 11.0;
    p = p * s + 1.0 / 9.0;
    p = p * s + 1.0 / 7.0;
    p = p * s + 1.0 / 5.0;
    p = p * s + 1.0 / 3.0;
    p = p * s + 1.0;
    return ed * 6.93147180369123816490e-01 + (ed * 1.90821492927058770002e-10 + 2.0 * f * p);
}

/* sin and cos: x = q pi/2 + r (three-part Cody-Waite, exact for |q| < 2^20), Taylor
 * polynomials on |r| <= pi/4 (truncation < 1e-18), quadrant from q's low bits. Measured against
 * glibc on [-3.2, 3.2]: within half an ulp of 1. */
BP_DEV void bp_sincos(vd x, vd *s_out, vd *c_out) {
    vd kd = x * 0.63661977236758134308 + BP_SHIFT;
    vm q = as_int(kd) - BP_SHIFT_BITS;
    vd n = kd - BP_SHIFT;
    vd r = ((x - n * 1.57079632673412561417e+00) - n * 6.07710050650619224932e-11)
           - n * 2.02226624879595063154e-21;
    vd r2 = r * r;
    vd ps = SPLAT(-1.0 / 121645100408832000.0);         /* -1/19! */
    ps = ps * r2 + 1.0 / 355687428096000.0;        /* 1/17! */
    ps = ps * r2 - 1.0 / 1307674368000.0;
    ps = ps * r2 + 1.0 / 6227020800.0;
    ps = ps * r2 - 1.0 / 39916800.0;
    ps = ps * r2 + 1.0 / 362880.0;
    ps = ps * r2 - 1.0 / 5040.0;
    ps = ps * r2 + 1.0 / 120.0;
    ps = ps * r2 - 1.0 / 6.0;
    vd sn = r + r * r2 * ps;
    vd pc = SPLAT(1.0 / 6402373705728000.0);            /* 1/18! */
    pc = pc * r2 - 1.0 / 20922789888000.0;
    pc = pc * r2 + 1.0 / 87178291200.0;
    pc = pc * r2 - 1.0 / 479001600.0;
    pc = pc * r2 + 1.0 / 3628800.0;
    pc = pc * r2 - 1.0 / 40320.0;
    pc = pc * r2 + 1.0 / 720.0;
    pc = pc * r2 - 1.0 / 24.0;
    pc = pc * r2 + 0.5;
    vd cs = 1.0 - r2 * pc;
    vm q1 = NE(q & 1, 0), q2 = NE(q & 2, 0), q3 = NE((q + 1) & 2, 0);
    vd s = SEL(q1, cs, sn), c = SEL(q1, sn, cs);
    *s_out = SEL(q2, -s, s);
    *c_out = SEL(q3, -c, c);
}

/* cube root of x > 0: a guess from the exponent bits (Kahan's constant), then Newton
 * y <- y - (y^3 - x) / (3 y^2), six times (quadratic convergence from a guess within ~1 %).
 * Measured against glibc on [1, 1001] (the range it is used on): <= 3 ulp. */
BP_DEV vd bp_cbrt(vd x) {
    vm bits = as_int(x);
    vd y = as_dbl((bits >> 2) + (bits >> 4) + (bits >> 6) + (bits >> 8) + (bits >> 10)
                  + (bits >> 12) + (bits >> 14) + 0x2A9F7893782DA1CELL);
    for (int i = 0; i < 6; i++) y = y - (y * y * y - x) / (3.0 * y * y);
    return y;
}

#endif
