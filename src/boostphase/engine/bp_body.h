/* boostphase engine: one loop pass of every lane, the terminal-fall ending, a case's start and
 * end. Included by bp_kernel.h; see there and kernel.py for the algorithm's documentation. */

/* Terminal fall (kernel.py, Settings.terminal_fall): whether a descending body is in
 * quasi-steady fall at its local terminal speed, the time to the ground and the state there. */
BP_BIG vm bp_terminal_fall(const bp_ctx *c, const bp_seg *g, const vd y1[6], vd alt1, vd vz1,
                           const vd up1[3], vd *dt, vd yg[6]) {
    const double om = c->om;
    vd cd = g->cdv[0];
    vd cc = 0.5 * cd * g->ref_area / g->m0;
    vd rho1, p_, s_;
    bp_atm(c, alt1, 0, 0, &rho1, &p_, &s_);
    vd gr[3];
    bp_gravity(c, y1[0], y1[1], y1[2], gr);
    vd g1 = -(gr[0] * up1[0] + gr[1] * up1[1] + gr[2] * up1[2]);
    vd c_safe = MAX(cc, 1e-300);
    vd vt1 = SQRT(g1 / MAX(c_safe * rho1, 1e-300));
    vd speed = SQRT(y1[3] * y1[3] + y1[4] * y1[4] + y1[5] * y1[5]);
    vd vh_vec[3];
    for (int q = 0; q < 3; q++) vh_vec[q] = y1[3 + q] - vz1 * up1[q];
    vd vh = SQRT(vh_vec[0] * vh_vec[0] + vh_vec[1] * vh_vec[1] + vh_vec[2] * vh_vec[2]);
    const double tol = c->tf_tol;
    vm ok = LT(vz1, 0.0) & GT(cc, 0.0) & GT(alt1, 0.0) & LT(alt1, BP_FALL_TOP_M)
            & LE(vt1, c->tf_max_speed) & LT(ABS(speed - vt1), tol * vt1) & LT(vh, tol * vt1);
    vd s_int, q_int;
    bp_fall(c, alt1, &s_int, &q_int);
    *dt = SQRT(c_safe / g1) * s_int;
    vd cl = SQRT(up1[0] * up1[0] + up1[1] * up1[1]);
    vd cl_safe = MAX(cl, 1e-12);
    vd east[3] = {-up1[1] / cl_safe, up1[0] / cl_safe, SPLAT(0.0)};
    vd kc = 2.0 * om * cl / SQRT(g1 * c_safe) * q_int;
    vd kv = vt1 / g1;
    vd vt0 = SQRT(g1 / MAX(c_safe * c->rho0, 1e-300));
    for (int q = 0; q < 3; q++) {
        vd drift = vh_vec[q] * kv + east[q] * kc;
        yg[q] = (y1[q] - alt1 * up1[q]) + drift;
        yg[3 + q] = -vt0 * up1[q];
    }
    return ok;
}

/* one trial step of every lane (kernel.py: the body of _integrate_one's loop). Lanes whose
 * `done` is set (idle slots) run along but write nothing. */
BP_DEV void bp_body(const bp_ctx *c, bp_lanes *L) {
    bp_gather_seg(c, L);
    const bp_seg *g = &L->g;
    const int S = c->S;
    vd t = L->t;
    vd y[6] = {L->y0, L->y1, L->y2, L->y3, L->y4, L->y5};
    vm mode = L->mode;
    vd t_end = MIN(g->t_end, L->t_max);
    vd h_normal = MIN(MIN(L->h, c->h_max), t_end - t);
    vm clipped = GE(L->h, t_end - t);
    if (c->drag) {
        /* above the atmosphere, end the step near BP_ENTRY_ALT_M (kernel.py) */
        vd dz = L->alt - BP_ENTRY_ALT_M;
        vd t_fall = 2.0 * dz / (-L->vz + SQRT(L->vz * L->vz + 2.0 * 9.5 * MAX(dz, 0.0)) + 1e-9);
        h_normal = SEL(GT(dz, 0.0), MIN(h_normal, t_fall + 1.0), h_normal);
    }
    vm searching = NE(mode, SPLATI(BP_NORMAL));
    vd h_try = SEL(searching, L->h_guess, h_normal);

    vd y1[6], err[6], dy1[6];
    if (c->fsal) {
        vd f[6] = {L->f0, L->f1, L->f2, L->f3, L->f4, L->f5};
        bp_step(c, L, g, t, y, h_try, f, y1, err, dy1);
    } else {
        bp_step(c, L, g, t, y, h_try, 0, y1, err, dy1);
    }
    vd en = bp_err_norm(c, y, y1, err);
    vd sl, cl, so, co, alt1;
    bp_geodetic(c, y1[0], y1[1], y1[2], 0, 1, &sl, &cl, &so, &co, &alt1);
    vd up1[3] = {cl * co, cl * so, sl};
    vd vz1 = y1[3] * up1[0] + y1[4] * up1[1] + y1[5] * up1[2];
    vm ok = FINITE(en) & LE(en, 1.0);
    /* rate of the vertical speed (Newton on the apogee): a.up plus the turning of 'up' */
    vd v2 = y1[3] * y1[3] + y1[4] * y1[4] + y1[5] * y1[5];
    vd dvz1 = (dy1[3] * up1[0] + dy1[4] * up1[1] + dy1[5] * up1[2])
              + (v2 - vz1 * vz1) / SQRT(y1[0] * y1[0] + y1[1] * y1[1] + y1[2] * y1[2]);

    /* normal mode decisions */
    vm apogee_cross = ok & GT(L->vz, 0.0) & LE(vz1, 0.0);
    vm impact_cross = ok & LT(alt1, 0.0) & GE(L->alt, 0.0) & (c->stop_at_impact ? TRUE_M : FALSE_M);
    vm start_apogee = NOT(searching) & apogee_cross;
    vm start_impact = NOT(searching) & impact_cross & NOT(apogee_cross);
    vm advance_normal = NOT(searching) & ok & NOT(apogee_cross) & NOT(impact_cross);

    /* search mode decisions */
    vm is_imp = EQ(mode, SPLATI(BP_IMPACT)), is_apo = EQ(mode, SPLATI(BP_APOGEE));
    vd f1 = SEL(is_imp, alt1, vz1);
    vd fd1 = SEL(is_imp, vz1, dvz1);
    vd tol = SEL(is_imp, SPLAT(1e-4), SPLAT(1e-8));
    vm converged = searching & (LT(ABS(f1), tol) | GE(L->n_search, SPLATI(60))
                                | LT(L->hi - L->lo, 1e-12 * MAX(SPLAT(1.0), ABS(t))));
    vm same_as_lo = EQ(bp_sign(f1), bp_sign(L->f_lo));
    vm upd_lo = searching & NOT(converged) & same_as_lo;
    vm upd_hi = searching & NOT(converged) & NOT(same_as_lo);

    vm advance = advance_normal | converged;
    vd t_new = SEL(advance_normal & clipped & EQ(h_try, t_end - t), t_end, t + h_try);
    vm hit_seg_end = advance_normal & GE(t_new, g->t_end);
    vm active = NOT(L->done);

    L->it = L->it + 1;
    vd t_out = SEL(advance, t_new, t);
    vd y_out[6];
    for (int q = 0; q < 6; q++) y_out[q] = SEL(advance, y1[q], y[q]);
    if (c->fsal) {
        L->f0 = SEL(advance, dy1[0], L->f0); L->f1 = SEL(advance, dy1[1], L->f1);
        L->f2 = SEL(advance, dy1[2], L->f2); L->f3 = SEL(advance, dy1[3], L->f3);
        L->f4 = SEL(advance, dy1[4], L->f4); L->f5 = SEL(advance, dy1[5], L->f5);
    }
    vd alt_old = L->alt, vz_old = L->vz;
    vd alt_out = SEL(advance, alt1, alt_old);
    L->vz = SEL(advance, SEL(converged & is_apo, SPLAT(0.0), vz1), vz_old);
    L->n_steps = INC(L->n_steps, advance);
    L->n_reject = INC(L->n_reject, NOT(searching) & NOT(ok));
    vm rejected_old = L->rejected;
    L->rejected = SELI(searching, L->rejected, NOT(ok));
    /* step size control (normal trials only); no growth right after a rejection (Hairer,
     * Norsett & Wanner II.4) */
    vd fac_max = SEL(rejected_old, SPLAT(1.0), SPLAT(5.0));
    vd en_pos = SEL(GT(en, 0.0), en, SPLAT(1e-10));
    vd fac = CLIP(0.9 * bp_exp(-0.2 * bp_log(en_pos)), 0.2, fac_max);
    fac = SEL(FINITE(en), fac, SPLAT(0.2));
    vd hf = h_try * fac;
    vd h_next = SEL(ok & clipped, MAX(L->h, hf), hf);
    L->h = SEL(searching, L->h, SEL(ok, h_next, hf));
    /* segment bookkeeping */
    vm seg_write = hit_seg_end & active;
    if (ANY(seg_write)) {
        for (int j = 0; j < BP_W; j++) {
            if (!LANE(seg_write, j)) continue;
            double *o = c->o_seg_state + (LANE(L->idx, j) * S + LANE(L->k, j)) * 7;
            o[0] = LANE(t_new, j);
            for (int q = 0; q < 6; q++) o[1 + q] = LANE(y1[q], j);
        }
    }
    vm k_old = L->k;
    L->k = SELI(hit_seg_end, SELI(LT(L->k + 1, SPLATI(S - 1)), L->k + 1, SPLATI(S - 1)), L->k);
    (void)k_old;
    /* apogee bookkeeping */
    vm new_max = advance & GT(alt1, L->ap_alt);
    L->ap_alt = SEL(new_max, alt1, L->ap_alt);
    L->ap_t = SEL(new_max, t_new, L->ap_t);
    /* event search state */
    vm start = start_apogee | start_impact;
    L->mode = SELI(start_apogee, SPLATI(BP_APOGEE), SELI(start_impact, SPLATI(BP_IMPACT),
                   SELI(converged, SPLATI(BP_NORMAL), mode)));
    vd lo_n = SEL(start, SPLAT(0.0), SEL(upd_lo, h_try, L->lo));
    vd hi_n = SEL(start, h_try, SEL(upd_hi, h_try, L->hi));
    L->lo = lo_n; L->hi = hi_n;
    vd f_lo0 = SEL(start_apogee, vz_old, alt_old);
    vd f_hi0 = SEL(start_apogee, vz1, alt1);
    L->f_lo = SEL(start, f_lo0, SEL(upd_lo, f1, L->f_lo));
    L->f_hi = SEL(start, f_hi0, SEL(upd_hi, f1, L->f_hi));
    /* next trial: Newton from the point just computed, kept inside the bracket, else bisection */
    vd fd_new = SEL(start_apogee, dvz1, SEL(start_impact, vz1, fd1));
    vd f_new = SEL(start, f_hi0, f1);
    vm fd_zero = EQ(fd_new, 0.0);
    vd newton = h_try - f_new / SEL(fd_zero, SPLAT(1.0), fd_new);
    vm inside = NOT(fd_zero) & GT(newton, lo_n) & LT(newton, hi_n);
    L->h_guess = SEL(inside, newton, 0.5 * (lo_n + hi_n));
    L->n_search = SELI(searching & NOT(converged), L->n_search + 1, SPLATI(0));
    /* termination */
    vm impact_done = converged & is_imp;
    vm timeout = advance_normal & GE(t_new, L->t_max);
    if (c->terminal_fall && ANY(advance_normal & NOT(timeout))) {
        vd dt_fall, yg[6];
        vm fall = bp_terminal_fall(c, g, y1, alt1, vz1, up1, &dt_fall, yg);
        fall = fall & advance_normal & NOT(timeout);
        t_out = SEL(fall, t_new + dt_fall, t_out);
        for (int q = 0; q < 6; q++) y_out[q] = SEL(fall, yg[q], y_out[q]);
        alt_out = SEL(fall, SPLAT(0.0), alt_out);
        L->fell = L->fell | fall;
        impact_done = impact_done | fall;
    }
    L->impacted = L->impacted | impact_done;
    L->done = L->done | impact_done | timeout;
    L->t = t_out; L->alt = alt_out;
    L->y0 = y_out[0]; L->y1 = y_out[1]; L->y2 = y_out[2];
    L->y3 = y_out[3]; L->y4 = y_out[4]; L->y5 = y_out[5];
    /* recording: (t, y1) of every accepted step, straight into the output */
    if (c->nrec > 1) {
        vm do_rec = advance & LT(L->n_rec, SPLATI(c->nrec)) & active;
        if (ANY(do_rec)) {
            for (int j = 0; j < BP_W; j++) {
                if (!LANE(do_rec, j)) continue;
                double *o = c->o_rec + (LANE(L->idx, j) * c->nrec + LANE(L->n_rec, j)) * 7;
                o[0] = LANE(t_out, j);
                for (int q = 0; q < 6; q++) o[1 + q] = LANE(y1[q], j);
            }
        }
        L->n_rec = INC(L->n_rec, do_rec);
    }
}

/* a lane is finished when its case is done or out of iterations */
BP_DEV vm bp_finished(const bp_ctx *c, const bp_lanes *L) {
    return L->done | GE(L->it, SPLATI(c->max_iter));
}

#if BP_W == 1
/* Start case i in a one-lane state (no output written) (every path starts its cases here, so a case's first
 * numbers never depend on the path). */
BP_DEV void bp_lane_init(const bp_ctx *c, int64_t i, bp_lanes *L) {
    const double *y0 = c->y0 + i * 6;
    L->idx = i;
    L->t = c->t0[i];
    L->y0 = y0[0]; L->y1 = y0[1]; L->y2 = y0[2]; L->y3 = y0[3]; L->y4 = y0[4]; L->y5 = y0[5];
    L->h = c->h0;
    L->k = 0; L->done = 0; L->impacted = 0; L->it = 0; L->n_steps = 0; L->n_reject = 0;
    vd sl, cl, so, co, alt;
    bp_geodetic(c, y0[0], y0[1], y0[2], 1, 1, &sl, &cl, &so, &co, &alt);
    L->alt = alt;
    L->vz = y0[3] * (cl * co) + y0[4] * (cl * so) + y0[5] * sl;
    L->ap_alt = alt; L->ap_t = c->t0[i];
    L->mode = BP_NORMAL; L->lo = 0.0; L->hi = 0.0; L->f_lo = 0.0; L->f_hi = 0.0;
    L->n_search = 0; L->h_guess = 0.0;
    L->n_rec = 1; L->fell = 0; L->rejected = 0;
    bp_sincos(c->azimuth[i], &L->sin_az, &L->cos_az);
    L->kick = c->kick[i]; L->pitch_t0 = c->pitch_t0[i]; L->pitch_t1 = c->pitch_t1[i];
    L->uf0 = c->u_fixed[i * 3]; L->uf1 = c->u_fixed[i * 3 + 1]; L->uf2 = c->u_fixed[i * 3 + 2];
    L->t_max = c->t_max[i];
    L->f0 = L->f1 = L->f2 = L->f3 = L->f4 = L->f5 = 0.0;
    if (c->fsal) {
        /* first step from the size of the state over its rate, in units of the tolerance
         * (Hairer, Norsett & Wanner II.4): coasts start anywhere from the pad to orbit */
        L->gk = -1;
        bp_gather_seg(c, L);
        const bp_seg g = L->g;
        vd yv[6] = {y0[0], y0[1], y0[2], y0[3], y0[4], y0[5]}, f[6];
        bp_rhs(c, L, &g, c->t0[i], yv, f);
        L->f0 = f[0]; L->f1 = f[1]; L->f2 = f[2]; L->f3 = f[3]; L->f4 = f[4]; L->f5 = f[5];
        double d0 = 0.0, d1 = 0.0;
        for (int q = 0; q < 6; q++) {
            double sc = (q < 3 ? c->atol_pos : c->atol_vel) + c->rtol * ABS(y0[q]);
            d0 = d0 + (y0[q] / sc) * (y0[q] / sc);
            d1 = d1 + (f[q] / sc) * (f[q] / sc);
        }
        d0 = SQRT(d0 / 6.0); d1 = SQRT(d1 / 6.0);
        double hf = (d0 > 1e-5 && d1 > 1e-5) ? 0.01 * d0 / MAX(d1, 1e-5) : 1e-6;
        L->h = CLIP(hf, 1e-6, c->h_max);
    }
}

/* the outputs a case's run writes into as it goes: segment ends NaN until reached */
BP_DEV void bp_lane_prefill(const bp_ctx *c, int64_t i) {
    double *ss = c->o_seg_state + i * c->S * 7;
    for (int q = 0; q < c->S * 7; q++) ss[q] = BP_NAN;
}

/* write a finished one-lane state to the outputs */
BP_DEV void bp_lane_finish(const bp_ctx *c, const bp_lanes *L) {
    int64_t i = L->idx;
    c->o_t[i] = L->t;
    double *y = c->o_y + i * 6;
    y[0] = L->y0; y[1] = L->y1; y[2] = L->y2; y[3] = L->y3; y[4] = L->y4; y[5] = L->y5;
    c->o_impacted[i] = L->impacted != 0;
    c->o_fell[i] = L->fell != 0;
    c->o_apogee_alt[i] = L->ap_alt;
    c->o_apogee_t[i] = L->ap_t;
    c->o_n_steps[i] = (int32_t)L->n_steps;
    c->o_n_rhs[i] = (int32_t)(L->it * (c->fsal ? 6 : 7) + (c->fsal ? 1 : 0));
    c->o_n_reject[i] = (int32_t)L->n_reject;
    c->o_n_rec[i] = (int32_t)L->n_rec;
    double *rec = c->o_rec + i * c->nrec * 7;
    const double *y0 = c->y0 + i * 6;
    rec[0] = c->t0[i];
    for (int q = 0; q < 6; q++) rec[1 + q] = y0[q];
    for (int64_t q = L->n_rec * 7; q < (int64_t)c->nrec * 7; q++) rec[q] = BP_NAN;
}

/* one case, start to end, on one lane */
BP_DEV void bp_run_case(const bp_ctx *c, int64_t i) {
    bp_lanes L;
    bp_lane_prefill(c, i);
    bp_lane_init(c, i, &L);
    L.gk = -1;
    while (!bp_finished(c, &L)) bp_body(c, &L);
    bp_lane_finish(c, &L);
}
#endif
