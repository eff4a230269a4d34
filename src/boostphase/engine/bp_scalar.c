/* boostphase engine: the scalar build (one lane). Every path starts and finishes its cases
 * with the functions here; bp_run_scalar runs whole cases one at a time from the queue. */
#define BP_W 1
#include "bp_kernel.h"
#include "bp_cpu.h"

void bp_start1(const bp_ctx *c, int64_t i, bp_lane1 *s) { bp_lane_init(c, i, (bp_lanes *)s); }
void bp_prefill1(const bp_ctx *c, int64_t i) { bp_lane_prefill(c, i); }
void bp_finish1(const bp_ctx *c, const bp_lane1 *s) { bp_lane_finish(c, (const bp_lanes *)s); }

void bp_run_scalar(bp_ctx *c) {
    for (;;) {
        int64_t i = __atomic_fetch_add(&c->next, 1, __ATOMIC_RELAXED);
        if (i >= c->n) break;
        bp_run_case(c, i);
    }
}
