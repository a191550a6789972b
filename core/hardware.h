#pragma once
// What the machine's processor can do, for choices the engine makes at run time. Plain C++.

#include <string>

namespace distillery {

/** Whether the CPU computes bfloat16 natively (AVX512-BF16 or AMX-BF16): where bf16 mixed precision is
 *  faster than fp32. Elsewhere LibTorch emulates bf16 and it is slower. DISTILLERY_CPU_BF16=0/1 overrides
 *  the detection (tests, and machines whose /proc/cpuinfo is not readable). */
bool cpuHasNativeBf16();

/** The CPU flags that made cpuHasNativeBf16 true ("avx512_bf16", "amx_bf16"), for messages; empty if none. */
std::string nativeBf16Flags();

}  // namespace distillery
