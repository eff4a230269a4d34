/* boostphase engine: the scalar build (one lane). Every path starts and finishes its cases
 * with the functions here; bp_run_scalar runs whole cases one at a time from the queue. */
#define BP_W 1
#include "bp_kernel.h"
#include "bp_cpu.h"

#define BP_TO1(f) s->f = L.f;
#define BP_FROM1(f) L.f = s->f;

void bp_start1(const bp_ctx *c, int64_t i, bp_lane1 *s) {
    bp_lanes L;
    bp_lane_init(c, i, &L);
    BP_DFIELDS(BP_TO1) BP_IFIELDS(BP_TO1)
}

void bp_prefill1(const bp_ctx *c, int64_t i) { bp_lane_prefill(c, i); }

void bp_finish1(const bp_ctx *c, const bp_lane1 *s) {
    bp_lanes L;
    BP_DFIELDS(BP_FROM1) BP_IFIELDS(BP_FROM1)
    bp_lane_finish(c, &L);
}

void bp_run_scalar(bp_ctx *c) {
    for (;;) {
        int64_t i = __atomic_fetch_add(&c->next, 1, __ATOMIC_RELAXED);
        if (i >= c->n) break;
        bp_run_case(c, i);
    }
}
