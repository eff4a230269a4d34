/* boostphase engine: the kernel, written once for a lane type (see bp_math.h).
 *
 * The algorithm and its physics are documented in boostphase/engine/kernel.py (the Python
 * side: Case, Settings, Result); this file is their implementation. One call of bp_body()
 * is one trial step of every lane: a Dormand-Prince 5(4) step (FSAL on one-segment coasts),
 * error control, segment ends landed on exactly, the bracketed Newton searches of the
 * apogee and the impact, the terminal-fall ending, recording. Every decision is a per-lane
 * select, so a lane's numbers never depend on its neighbours.
 *
 * Define BP_W (1 or 8) before including. The scalar build (BP_W 1) also defines the
 * per-case start (bp_lane_init) and end (bp_lane_finish) that every path shares.
 */
#ifndef BP_KERNEL_H
#define BP_KERNEL_H
#include "bp_math.h"

#define BP_KMAX 16          /* longest Cd(Mach) table */
#define BP_NORMAL 0
#define BP_IMPACT 1
#define BP_APOGEE 2
#define BP_ENTRY_ALT_M 100000.0
#define BP_DALT_M 100.0     /* grid of the atmosphere and terminal-fall tables (m) */
#define BP_FALL_TOP_M 100000.0

/* Everything one engine call needs: sizes, settings, constants, tables, inputs, outputs.
 * Arrays are C-contiguous with the batch axis first; shapes as in kernel.py's Case/Result. */
typedef struct bp_ctx {
    int64_t n;                 /* cases */
    int64_t next;              /* the queue: index of the next case to start (atomic) */
    int32_t S, K, nrec, natm, nfall;
    int32_t spherical, drag, powered, constant_cd, terminal_fall, stop_at_impact, fsal;
    int64_t max_iter;
    double rtol, atol_pos, atol_vel, h0, h_max, tf_max_speed, tf_tol;
    double a, e2, mu, j2, om;  /* Earth: semi-major axis (m), e^2, GM (m^3/s^2), J2, rotation (rad/s) */
    double slope_rho, slope_p; /* ln density / ln pressure slopes above the table (1/m) */
    double rho0;               /* density at 0 m (kg/m^3), from the table (terminal fall) */
    const double *ln_rho, *ln_p, *snd, *d_rho, *d_p;  /* (natm,) atmosphere table */
    const double *fall_s, *fall_q;                    /* (nfall,) terminal-fall integrals */
    const double *y0, *t0, *seg_t_end, *seg_m0, *seg_mdot, *seg_thrust, *seg_exit_area;
    const double *seg_ref_area, *cd_mach, *cd_val, *azimuth, *kick, *pitch_t0, *pitch_t1;
    const double *u_fixed, *t_max;
    const int32_t *seg_mode;
    double *o_t, *o_y, *o_apogee_alt, *o_apogee_t, *o_seg_state, *o_rec;
    uint8_t *o_impacted, *o_fell;
    int32_t *o_n_steps, *o_n_rhs, *o_n_reject, *o_n_rec;
} bp_ctx;

/* The state of BP_W lanes. D: float64 fields, I: integer/mask fields (X-macro lists, so the
 * refill and finish code copy every field of a lane without naming each). */
#define BP_DFIELDS(X) X(t) X(h) X(alt) X(vz) X(ap_alt) X(ap_t) X(lo) X(hi) X(f_lo) X(f_hi) \
    X(h_guess) X(sin_az) X(cos_az) X(kick) X(pitch_t0) X(pitch_t1) X(t_max)             \
    X(y0) X(y1) X(y2) X(y3) X(y4) X(y5) X(f0) X(f1) X(f2) X(f3) X(f4) X(f5) X(uf0) X(uf1) X(uf2)
#define BP_IFIELDS(X) X(k) X(mode) X(n_search) X(it) X(n_steps) X(n_reject) X(n_rec) X(done) \
    X(impacted) X(fell) X(rejected) X(idx)
#define BP_DECL_D(f) vd f;
#define BP_DECL_I(f) vm f;
/* the current segment of each lane: gathered when a lane's segment changes, not every step */
typedef struct {
    vd t_start, t_end, m0, mdot, thrust, exit_area, ref_area;
    vm mode;
    vd cdm[BP_KMAX], cdv[BP_KMAX];
} bp_seg;

/* the lane fields, then the segment cache (gk: the segment index it holds, -1: none) */
typedef struct {
    BP_DFIELDS(BP_DECL_D) BP_IFIELDS(BP_DECL_I)
    vm gk;
    bp_seg g;
} bp_lanes;
/* one lane of any build, as the scalar build's start and finish see it (the leading fields
 * of a one-lane bp_lanes) */
#define BP_DECL_D1(f) double f;
#define BP_DECL_I1(f) int64_t f;
typedef struct { BP_DFIELDS(BP_DECL_D1) BP_IFIELDS(BP_DECL_I1) } bp_lane1;

#if BP_W == 1
#define BP_SET(v, j, x) ((v) = (x))
#define BP_GET(v, j) (v)
#else
#define BP_SET(v, j, x) ((v)[j] = (x))
#define BP_GET(v, j) ((v)[j])
#endif

/* load lane j's current segment into the cache */
BP_DEV void bp_gather_lane(const bp_ctx *c, bp_lanes *L, int j) {
    const int S = c->S;
    bp_seg *g = &L->g;
    int64_t i = BP_GET(L->idx, j), k = BP_GET(L->k, j);
    if (i < 0) i = 0;
    int64_t o = i * S + k;
    BP_SET(g->t_start, j, k > 0 ? c->seg_t_end[o - 1] : c->t0[i]);
    BP_SET(g->t_end, j, c->seg_t_end[o]);
    BP_SET(g->m0, j, c->seg_m0[o]);
    BP_SET(g->mdot, j, c->seg_mdot[o]);
    BP_SET(g->thrust, j, c->seg_thrust[o]);
    BP_SET(g->exit_area, j, c->seg_exit_area[o]);
    BP_SET(g->ref_area, j, c->seg_ref_area[o]);
    BP_SET(g->mode, j, (bp_i64)c->seg_mode[o]);
    int nk = c->constant_cd ? 1 : c->K;
    for (int q = 0; q < nk; q++) {
        BP_SET(g->cdm[q], j, c->cd_mach[o * c->K + q]);
        BP_SET(g->cdv[q], j, c->cd_val[o * c->K + q]);
    }
    BP_SET(L->gk, j, k);
}

/* refresh the cache of the lanes whose segment changed */
BP_DEV void bp_gather_seg(const bp_ctx *c, bp_lanes *L) {
    vm stale = NE(L->gk, L->k);
    if (!ANY(stale)) return;
    for (int j = 0; j < BP_W; j++)
        if (BP_GET(stale, j)) bp_gather_lane(c, L, j);
}

/* --- geometry ------------------------------------------------------------------------- */

/* (sin lat, cos lat, sin lon, cos lon, alt) of an Earth-fixed position: the exact closed form
 * (a case's start) or Bowring's one-step formula (right-hand side and events; sub-millimetre
 * near the ground): see kernel.py. Without `lon` the longitude terms are not computed. */
BP_DEV void bp_geodetic(const bp_ctx *c, vd x, vd y, vd z, int exact, int lon, vd *sl, vd *cl,
                        vd *so, vd *co, vd *alt) {
    const double a = c->a, e2 = c->e2;
    vd p = SQRT(x * x + y * y);
    vd p_safe = MAX(p, 1e-9);
    if (lon) {
        vm pos = GT(p, 1e-9);
        *so = SEL(pos, y / p_safe, 0.0);
        *co = SEL(pos, x / p_safe, 1.0);
    }
    if (c->spherical) {
        vd rn = SQRT(p * p + z * z);
        *sl = z / rn; *cl = p / rn; *alt = rn - a;
        return;
    }
    const double b = a * SQRT1(1.0 - e2);
    if (exact) {
        const double ep2 = (a * a - b * b) / (b * b);
        vd F = 54.0 * b * b * z * z;
        vd G = p * p + (1.0 - e2) * z * z - e2 * (a * a - b * b);
        vd cc = e2 * e2 * F * p * p / (G * G * G);
        vd s = bp_cbrt(1.0 + cc + SQRT(cc * cc + 2.0 * cc));
        vd k = s + 1.0 + 1.0 / s;
        vd P = F / (3.0 * k * k * G * G);
        vd Q = SQRT(1.0 + 2.0 * e2 * e2 * P);
        vd r0 = -(P * e2 * p) / (1.0 + Q) + SQRT(MAX(0.5 * a * a * (1.0 + 1.0 / Q)
            - P * (1.0 - e2) * z * z / (Q * (1.0 + Q)) - 0.5 * P * p * p, 0.0));
        vd pe = p - e2 * r0;
        vd U = SQRT(pe * pe + z * z);
        vd V = SQRT(pe * pe + (1.0 - e2) * z * z);
        vd z0 = b * b * z / (a * V);
        *alt = U * (1.0 - b * b / (a * V));
        vd num = z + ep2 * z0;
        vd hyp = SQRT(num * num + p * p);
        *sl = num / hyp; *cl = p / hyp;
        return;
    }
    /* Bowring: the parametric latitude's first guess, tan beta = a z / (b p), then one step.
     * (Written with fewer divides, 1/sqrt(b^2 p^2 + a^2 z^2) for cos and sin beta, it ran ~10 %
     * faster but moved a 6,000 km flyout by 0.2 m at rtol 1e-10 through a different step
     * sequence: tests/test_flyout.py's split-segment test bars 0.1 m, so this form stays.) */
    const double ep2 = e2 / (1.0 - e2);
    vd tb = a * z / (b * p_safe);
    vd cb = 1.0 / SQRT(1.0 + tb * tb);
    vd sb = tb * cb;
    vd num = z + ep2 * b * sb * sb * sb;
    vd den = p - e2 * a * cb * cb * cb;
    vd hyp = SQRT(num * num + den * den);
    *sl = num / hyp; *cl = den / hyp;
    vd nn = a / SQRT(1.0 - e2 * *sl * *sl);
    *alt = p * *cl + z * *sl - a * a / nn;
}

/* gravitation (point mass, plus J2 unless spherical) and the centrifugal term (m/s^2) */
BP_DEV void bp_gravity(const bp_ctx *c, vd x, vd y, vd z, vd g[3]) {
    const double om = c->om;
    vd r2 = x * x + y * y + z * z;
    vd inv_r2 = 1.0 / r2;
    vd inv_r = 1.0 / SQRT(r2);
    vd k = -c->mu * inv_r2 * inv_r;
    vd gx, gy, gz;
    if (c->spherical) {
        gx = k * x; gy = k * y; gz = k * z;
    } else {
        vd fac = 1.5 * c->j2 * c->a * c->a * inv_r2;
        vd zr = 5.0 * z * z * inv_r2;
        gx = k * x * (1.0 + fac * (1.0 - zr));
        gy = k * y * (1.0 + fac * (1.0 - zr));
        gz = k * z * (1.0 + fac * (3.0 - zr));
    }
    g[0] = gx + om * om * x; g[1] = gy + om * om * y; g[2] = gz;
}

/* --- tables ------------------------------------------------------------------------------ */

/* floor of 0 <= x < 2^51 as a double and as an integer, with + - and bit operations only
 * (no float-to-integer conversion, which AVX2 lacks for 64-bit lanes): round to nearest by
 * the 1.5 * 2^52 shift, minus one where that rounded up */
BP_DEV void bp_floor(vd x, vd *fl, vm *i) {
    vd r = (x + BP_SHIFT) - BP_SHIFT;
    r = SEL(GT(r, x), r - 1.0, r);
    *fl = r;
    *i = as_int(r + BP_SHIFT) - BP_SHIFT_BITS;
}
/* table values at per-lane indices (hardware gathers where the instruction set has them) */
#if BP_W == 1
#define BP_TAB(tab, i) ((tab)[i])
#elif BP_W == 8 && defined(__AVX512F__)
#include <immintrin.h>
#define BP_TAB(tab, i) ((vd)_mm512_i64gather_pd((__m512i)(i), (tab), 8))
#elif BP_W == 8 && defined(__AVX2__)
#include <immintrin.h>
BP_DEV vd bp_gather(const double *tab, vm i) {
    __m256i lo, hi;
    memcpy(&lo, &i, 32);
    memcpy(&hi, (const char *)&i + 32, 32);
    __m256d a = _mm256_i64gather_pd(tab, lo, 8), b = _mm256_i64gather_pd(tab, hi, 8);
    vd r;
    memcpy(&r, &a, 32);
    memcpy((char *)&r + 32, &b, 32);
    return r;
}
#define BP_TAB(tab, i) bp_gather((tab), (i))
#else
#define BP_TAB(tab, i) ({ vd _r; for (int _j = 0; _j < BP_W; _j++) _r[_j] = (tab)[(i)[_j]]; _r; })
#endif

/* density (kg/m^3), pressure (Pa), sound speed (m/s) at geometric altitude (m): cubic Hermite
 * in ln density and ln pressure, linear sound speed, exponential above the table (the
 * documented atmosphere.kernel_lookup) */
BP_DEV void bp_atm(const bp_ctx *c, vd alt, int want_p, int want_snd, vd *rho, vd *pres, vd *snd) {
    const int n = c->natm;
    const double top = BP_DALT_M * (n - 1);
    vd x = CLIP(alt, 0.0, top) / BP_DALT_M, fl;
    vm i;
    bp_floor(x, &fl, &i);
    vm last = GT(i, SPLATI(n - 2));
    i = SELI(last, SPLATI(n - 2), i);
    fl = SEL(last, SPLAT((double)(n - 2)), fl);
    vd w = x - fl;
    vm i1 = i + 1;
    vd w2 = w * w, w3 = w2 * w;
    vd h00 = 2.0 * w3 - 3.0 * w2 + 1.0, h10 = w3 - 2.0 * w2 + w, h01 = -2.0 * w3 + 3.0 * w2,
       h11 = w3 - w2;
    vd above = MAX(alt - top, 0.0);
    vd lr = h00 * BP_TAB(c->ln_rho, i) + h10 * BP_TAB(c->d_rho, i) + h01 * BP_TAB(c->ln_rho, i1)
            + h11 * BP_TAB(c->d_rho, i1);
    *rho = bp_exp(lr + c->slope_rho * above);
    if (want_p) {
        vd lp = h00 * BP_TAB(c->ln_p, i) + h10 * BP_TAB(c->d_p, i) + h01 * BP_TAB(c->ln_p, i1)
                + h11 * BP_TAB(c->d_p, i1);
        *pres = bp_exp(lp + c->slope_p * above);
    }
    if (want_snd) {
        vd s0 = BP_TAB(c->snd, i);
        *snd = s0 + w * (BP_TAB(c->snd, i1) - s0);
    }
}

/* (S, Q) terminal-fall integrals at alt (m), linear in each cell (atmosphere.fall_lookup) */
BP_DEV void bp_fall(const bp_ctx *c, vd alt, vd *s, vd *q) {
    const int n = c->nfall;
    vd x = CLIP(alt, 0.0, BP_DALT_M * (n - 1)) / BP_DALT_M, fl;
    vm i;
    bp_floor(x, &fl, &i);
    vm last = GT(i, SPLATI(n - 2));
    i = SELI(last, SPLATI(n - 2), i);
    fl = SEL(last, SPLAT((double)(n - 2)), fl);
    vd w = x - fl;
    vd s0 = BP_TAB(c->fall_s, i), q0 = BP_TAB(c->fall_q, i);
    *s = s0 + w * (BP_TAB(c->fall_s, i + 1) - s0);
    *q = q0 + w * (BP_TAB(c->fall_q, i + 1) - q0);
}

/* Cd at Mach x: linear in the segment's table, flat outside (kernel.py _interp_table) */
BP_DEV vd bp_cd(const bp_ctx *c, const bp_seg *g, vd x) {
    const int K = c->K;
    vm i = SPLATI(0);
    for (int q = 1; q < K - 1; q++) i = INC(i, GE(x, g->cdm[q]));
#if BP_W == 1
    vd x0 = g->cdm[i], x1 = g->cdm[i + 1], f0 = g->cdv[i], f1 = g->cdv[i + 1];
#else  /* the same values, picked by selects */
    vd x0 = g->cdm[0], x1 = g->cdm[1], f0 = g->cdv[0], f1 = g->cdv[1];
    for (int q = 1; q < K - 1; q++) {
        vm m = EQ(i, SPLATI(q));
        x0 = SEL(m, g->cdm[q], x0); x1 = SEL(m, g->cdm[q + 1], x1);
        f0 = SEL(m, g->cdv[q], f0); f1 = SEL(m, g->cdv[q + 1], f1);
    }
#endif
    vd w = CLIP((x - x0) / (x1 - x0), 0.0, 1.0);
    return f0 + w * (f1 - f0);
}

/* --- right-hand side ----------------------------------------------------------------------- */

BP_BIG void bp_rhs(const bp_ctx *c, const bp_lanes *L, const bp_seg *g, vd t, const vd y[6],
                   vd dy[6]) {
    const double om = c->om;
    vd acc[3];
    bp_gravity(c, y[0], y[1], y[2], acc);
    acc[0] = acc[0] + 2.0 * om * y[4];
    acc[1] = acc[1] + -2.0 * om * y[3];
    dy[0] = y[3]; dy[1] = y[4]; dy[2] = y[5];
    if (!(c->powered || c->drag)) {
        dy[3] = acc[0]; dy[4] = acc[1]; dy[5] = acc[2];
        return;
    }
    vd sl, cl, so, co, alt;
    bp_geodetic(c, y[0], y[1], y[2], 0, c->powered, &sl, &cl, &so, &co, &alt);
    vd speed = SQRT(y[3] * y[3] + y[4] * y[4] + y[5] * y[5]);
    vd rho = SPLAT(0.0), pres = SPLAT(0.0), snd = SPLAT(340.0);
    if (c->drag) bp_atm(c, alt, c->powered, !c->constant_cd, &rho, &pres, &snd);
    vd mass;
    if (c->powered) {
        mass = g->m0 - g->mdot * (t - g->t_start);
        vd thrust = MAX(g->thrust - pres * g->exit_area, 0.0);
        thrust = SEL(GT(g->thrust, 0.0), thrust, 0.0);
        vd up[3] = {cl * co, cl * so, sl};
        vd east[3] = {-so, co, SPLAT(0.0)};
        vd north[3] = {-sl * co, -sl * so, cl};
        vd u[3] = {up[0], up[1], up[2]};           /* mode 0: vertical */
        vm m1 = EQ(g->mode, SPLATI(1)), m2 = EQ(g->mode, SPLATI(2)), m3 = EQ(g->mode, SPLATI(3));
        if (ANY(m1)) {  /* pitch-over: the tilt runs on the pitch-over's own start and end */
            vd len = MAX(L->pitch_t1 - L->pitch_t0, 1e-9);
            vd theta = L->kick * CLIP((t - L->pitch_t0) / len, 0.0, 1.0);
            vd st, ct;
            bp_sincos(theta, &st, &ct);
            for (int q = 0; q < 3; q++) {
                vd horiz = L->sin_az * east[q] + L->cos_az * north[q];
                u[q] = SEL(m1, ct * up[q] + st * horiz, u[q]);
            }
        }
        if (ANY(m2)) {  /* gravity turn: along the air-relative velocity */
            vm moving = GT(speed, 1e-6);
            vd sp = MAX(speed, 1e-6);
            for (int q = 0; q < 3; q++) u[q] = SEL(m2, SEL(moving, y[3 + q] / sp, up[q]), u[q]);
        }
        if (ANY(m3)) {  /* fixed east/north/up direction */
            for (int q = 0; q < 3; q++)
                u[q] = SEL(m3, L->uf0 * east[q] + L->uf1 * north[q] + L->uf2 * up[q], u[q]);
        }
        vd tm = thrust / mass;
        for (int q = 0; q < 3; q++) acc[q] = acc[q] + tm * u[q];
    } else {
        mass = g->m0;
    }
    if (c->drag) {
        vd cd = c->constant_cd ? g->cdv[0] : bp_cd(c, g, speed / snd);
        vd kd = 0.5 * rho * speed * cd * g->ref_area / mass;
        for (int q = 0; q < 3; q++) acc[q] = acc[q] - kd * y[3 + q];
    }
    dy[3] = acc[0]; dy[4] = acc[1]; dy[5] = acc[2];
}

/* Dormand-Prince 5(4) (Dormand & Prince 1980; Hairer, Norsett & Wanner, Table 5.2) */
#define A21 (1.0 / 5)
#define A31 (3.0 / 40)
#define A32 (9.0 / 40)
#define A41 (44.0 / 45)
#define A42 (-56.0 / 15)
#define A43 (32.0 / 9)
#define A51 (19372.0 / 6561)
#define A52 (-25360.0 / 2187)
#define A53 (64448.0 / 6561)
#define A54 (-212.0 / 729)
#define A61 (9017.0 / 3168)
#define A62 (-355.0 / 33)
#define A63 (46732.0 / 5247)
#define A64 (49.0 / 176)
#define A65 (-5103.0 / 18656)
#define A71 (35.0 / 384)
#define A73 (500.0 / 1113)
#define A74 (125.0 / 192)
#define A75 (-2187.0 / 6784)
#define A76 (11.0 / 84)
#define E1 (35.0 / 384 - 5179.0 / 57600)
#define E3 (500.0 / 1113 - 7571.0 / 16695)
#define E4 (125.0 / 192 - 393.0 / 640)
#define E5 (-2187.0 / 6784 - -92097.0 / 339200)
#define E6 (11.0 / 84 - 187.0 / 2100)
#define E7 (0.0 - 1.0 / 40)

/* one trial step from (t, y) of length h; k1 = the derivative at (t, y) when known (FSAL) */
BP_DEV void bp_step(const bp_ctx *c, const bp_lanes *L, const bp_seg *g, vd t, const vd y[6], vd h,
                    const vd *k1_known, vd y5[6], vd err[6], vd k7[6]) {
    vd k1[6], k2[6], k3[6], k4[6], k5[6], k6[6], yi[6];
    int q;
    if (k1_known) for (q = 0; q < 6; q++) k1[q] = k1_known[q];
    else bp_rhs(c, L, g, t, y, k1);
    for (q = 0; q < 6; q++) yi[q] = y[q] + h * A21 * k1[q];
    bp_rhs(c, L, g, t + (1.0 / 5) * h, yi, k2);
    for (q = 0; q < 6; q++) yi[q] = (y[q] + h * A31 * k1[q]) + h * A32 * k2[q];
    bp_rhs(c, L, g, t + (3.0 / 10) * h, yi, k3);
    for (q = 0; q < 6; q++) yi[q] = ((y[q] + h * A41 * k1[q]) + h * A42 * k2[q]) + h * A43 * k3[q];
    bp_rhs(c, L, g, t + (4.0 / 5) * h, yi, k4);
    for (q = 0; q < 6; q++)
        yi[q] = (((y[q] + h * A51 * k1[q]) + h * A52 * k2[q]) + h * A53 * k3[q]) + h * A54 * k4[q];
    bp_rhs(c, L, g, t + (8.0 / 9) * h, yi, k5);
    for (q = 0; q < 6; q++)
        yi[q] = ((((y[q] + h * A61 * k1[q]) + h * A62 * k2[q]) + h * A63 * k3[q]) + h * A64 * k4[q])
                + h * A65 * k5[q];
    bp_rhs(c, L, g, t + h, yi, k6);
    for (q = 0; q < 6; q++)
        y5[q] = ((((y[q] + h * A71 * k1[q]) + h * A73 * k3[q]) + h * A74 * k4[q]) + h * A75 * k5[q])
                + h * A76 * k6[q];
    bp_rhs(c, L, g, t + h, y5, k7);
    for (q = 0; q < 6; q++)
        err[q] = h * (((((E1 * k1[q] + E3 * k3[q]) + E4 * k4[q]) + E5 * k5[q]) + E6 * k6[q])
                      + E7 * k7[q]);
}

/* RMS of the error over atol + rtol * max(|y0|, |y1|), per component */
BP_DEV vd bp_err_norm(const bp_ctx *c, const vd y0[6], const vd y1[6], const vd err[6]) {
    vd s = SPLAT(0.0);
    for (int q = 0; q < 6; q++) {
        vd sc = (q < 3 ? c->atol_pos : c->atol_vel) + c->rtol * MAX(ABS(y0[q]), ABS(y1[q]));
        vd e = err[q] / sc;
        s = s + e * e;
    }
    return SQRT(s / 6.0);
}

/* sign, with NaN for NaN (as jnp.sign) */
BP_DEV vd bp_sign(vd x) { return SEL(GT(x, 0.0), SPLAT(1.0), SEL(LT(x, 0.0), SPLAT(-1.0), x * 0.0)); }

#include "bp_body.h"

#endif
