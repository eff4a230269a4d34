/* boostphase engine: the packet path, 8 lanes of float64 per packet. Included by bp_avx2.c and
 * bp_avx512.c, which compile it for one instruction set each (chosen at run time by
 * bp_module.c). A lane whose case has finished is written out and refilled from the queue at
 * once, so no lane waits for another; cases start and end in the scalar build's functions. */
#define BP_W 8
#include "bp_kernel.h"
#include "bp_cpu.h"

static void bp_put(bp_lanes *L, int j, const bp_lane1 *s) {
#define BP_PUT(f) L->f[j] = s->f;
    BP_DFIELDS(BP_PUT) BP_IFIELDS(BP_PUT)
#undef BP_PUT
    L->gk[j] = -1;  /* its segment cache is stale */
}

static void bp_get(const bp_lanes *L, int j, bp_lane1 *s) {
#define BP_GETF(f) s->f = L->f[j];
    BP_DFIELDS(BP_GETF) BP_IFIELDS(BP_GETF)
#undef BP_GETF
}

/* the next case from the queue into lane j; an empty queue leaves the lane idle (its last
 * state runs along, done and writing nothing). Returns whether the lane holds a case. */
static int bp_refill(bp_ctx *c, bp_lanes *L, int j) {
    int64_t i = __atomic_fetch_add(&c->next, 1, __ATOMIC_RELAXED);
    bp_lane1 s;
    if (i >= c->n) {
        L->idx[j] = -1;
        L->done[j] = -1;
        return 0;
    }
    bp_prefill1(c, i);
    bp_start1(c, i, &s);
    bp_put(L, j, &s);
    return 1;
}

void BP_PACKET_FN(bp_ctx *c) {
    bp_lanes L;
    bp_lane1 s;
    int live = 0;
    if (c->n <= 0) return;
    /* idle slots start from a valid state (case 0's), so they compute nothing singular */
    bp_start1(c, 0, &s);
    for (int j = 0; j < BP_W; j++) bp_put(&L, j, &s);
    for (int j = 0; j < BP_W; j++) live += bp_refill(c, &L, j);
    while (live) {
        bp_body(c, &L);
        vm fin = bp_finished(c, &L) & GE(L.idx, SPLATI(0));
        if (!ANY(fin)) continue;
        for (int j = 0; j < BP_W; j++) {
            if (!fin[j]) continue;
            bp_get(&L, j, &s);
            bp_finish1(c, &s);
            live -= 1 - bp_refill(c, &L, j);
        }
    }
}
