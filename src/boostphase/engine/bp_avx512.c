/* The packet path compiled for AVX-512 (one packet = one zmm register per lane value). */
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#pragma GCC target("avx512f,avx512dq")
#endif
#define BP_PACKET_FN bp_run_packets_avx512
#include "bp_packet.h"
