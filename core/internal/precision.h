#pragma once
// Mixed precision decisions of the engine (internal: takes a torch::Device).

#include <torch/torch.h>

#include <string>

namespace distillery {

/** Whether a run with recipe `precision` (fp32, bf16, auto) computes in bf16 on `device` (`inference`: a
 *  frozen teacher's forward passes; else a student's training steps). bf16 only where the CPU computes it
 *  natively (core/hardware.h); `auto` also only where bf16 convolutions measured faster than fp32 ones on
 * this machine (measuredBf16Speedup): some CPUs with AVX512-BF16 run them at half the fp32 rate. `note` says
 * what was decided and why, for the run's log. DISTILLERY_CPU_BF16=1 stands for a native and faster bf16. */
bool useBf16(const std::string& precision, torch::Device device, std::string* note = nullptr,
             bool inference = false);

/** The decision of useBf16 from its inputs: `native` (the flags that make it so, for the note) and `speedup`,
 *  fp32's time over bf16's for the same convolutions (NaN: not measured, taken as faster); auto takes bf16
 *  from kBf16AutoSpeedup up. */
bool chooseBf16(const std::string& precision, bool cpu, const std::string& nativeFlags, double speedup,
                std::string* note);
inline constexpr double kBf16AutoSpeedup = 1.15;

/** fp32's time over bf16's for 3x3 convolutions of the sizes small CNNs train at (channels-last, batch 64,
 *  32 channels at 28x28 and 64 at 14x14), forward and backward (`inference`: forward only), on the calling
 *  thread's intra-op threads; measured once per process (about 0.2 s, after a warm-up). */
double measuredBf16Speedup(bool inference);

}  // namespace distillery
