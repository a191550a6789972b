#pragma once
// Mixed precision decisions of the engine (internal: takes a torch::Device).

#include <torch/torch.h>

#include <string>

namespace distillery {

/** Whether a run with recipe `precision` (fp32, bf16, auto) trains in bf16 mixed precision on `device`:
 *  only where the device computes bf16 natively (see core/hardware.h). `note` says what was decided and why,
 *  for the run's log. */
bool useBf16(const std::string& precision, torch::Device device, std::string* note = nullptr);

}  // namespace distillery
