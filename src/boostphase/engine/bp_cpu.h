/* boostphase engine: the CPU builds' entry points (bp_scalar.c, bp_avx2.c, bp_avx512.c). */
#ifndef BP_CPU_H
#define BP_CPU_H
void bp_start1(const bp_ctx *c, int64_t i, bp_lane1 *s);
void bp_prefill1(const bp_ctx *c, int64_t i);
void bp_finish1(const bp_ctx *c, const bp_lane1 *s);
void bp_run_scalar(bp_ctx *c);
void bp_run_packets_avx2(bp_ctx *c);
void bp_run_packets_avx512(bp_ctx *c);
#endif
