/* The packet path compiled for AVX2 (one packet = two ymm registers per lane value). On
 * other architectures both packet builds are the compiler's generic vector code. */
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#pragma GCC target("avx2")
#endif
#define BP_PACKET_FN bp_run_packets_avx2
#include "bp_packet.h"
