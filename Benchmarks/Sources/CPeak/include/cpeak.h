// Peak multiply-accumulate rates of one core, measured with independent
// chains of the instructions the CLIP kernels use, so each precision's speed
// can be printed as a share of what this CPU can do.
#ifndef CPEAK_H
#define CPEAK_H

/// fp32 multiply-accumulates per second of one core (AVX2 FMA, vfmadd231ps); 0 without AVX2+FMA.
double cpeak_fma_macs_per_second(void);
/// int8 multiply-accumulates per second of one core (AVX2 vpmaddubsw + vpmaddwd + vpaddd, as the
/// int8 kernel runs them); 0 without AVX2.
double cpeak_int8_avx2_macs_per_second(void);
/// fp32 MACs per second of one core with AVX-512 (vfmadd231ps on zmm); 0 without AVX-512F.
double cpeak_fma512_macs_per_second(void);
/// int8 MACs per second of one core with AVX-512 VNNI (vpdpbusd on zmm); 0 without it.
double cpeak_int8_vnni_macs_per_second(void);
/// bf16 MACs per second of one core with AVX-512 BF16 (vdpbf16ps on zmm); 0 without it.
double cpeak_bf16_macs_per_second(void);
/// int8 MACs per second of one core's AMX unit (tdpbusd); 0 without AMX or Linux's grant of the tiles.
double cpeak_amx_int8_macs_per_second(void);
/// bf16 MACs per second of one core's AMX unit (tdpbf16ps); 0 without AMX-BF16.
double cpeak_amx_bf16_macs_per_second(void);

#endif
